"""Measures of retrieval and answer quality; never imported by the assistant itself."""
