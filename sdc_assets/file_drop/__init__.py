"""The file-drop sources: ScreenConnect CSV, SillyTavern JSONL and legacy notes JSON."""
