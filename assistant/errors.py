"""Errors of Carrefour, one small tree; messages are French and say what to do.

    CarrefourError
    ├── ConfigError          bad setting or unknown backend name
    ├── LoadError            one input file cannot be read (names the file)
    │   └── NoTextError      the file has no extractable text (scan, empty)
    ├── StoreError           the vector store or the manifest cannot be used
    └── EmbedderError        the embedding model cannot be loaded or run
"""


# Said by `search`, `ask` and the chat when nothing has been indexed yet (they stop there, exit status 1).
EMPTY_INDEX = "L'index est vide : lancez `carrefour ingest`"


class CarrefourError(Exception):
    """Base class: the CLI and the UI show its message, never a traceback."""


class ConfigError(CarrefourError):
    pass


class LoadError(CarrefourError):
    """A file could not be read; `path` names it, the message says what to do."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path} : {message}")
        self.path = path
        self.reason = message


class NoTextError(LoadError):
    pass


class StoreError(CarrefourError):
    pass


class EmbedderError(CarrefourError):
    pass
