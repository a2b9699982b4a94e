"""The semantic index: chunks, embeddings and Chroma collections."""
