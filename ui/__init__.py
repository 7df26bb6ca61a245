"""The web chat (Gradio): it only presents what `assistant` answers and `ingest` indexes."""
