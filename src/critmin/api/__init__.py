"""The critmin web service: a FastAPI app over the library and a persistent run store.

``create_app(Settings.from_env())`` builds the app; ``critmin serve`` runs it with uvicorn.
"""

from critmin.api.app import create_app
from critmin.api.settings import Settings, is_loopback

__all__ = ["Settings", "create_app", "is_loopback"]
