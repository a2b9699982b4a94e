"""The Session model and the assets that turn sources into sessions."""
