"""The whole schema: every table module loaded onto the one metadata (storage/tables.py and each
feature's *_tables.py), for the migrations and for anything that walks all tables."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from sqlalchemy import MetaData

import pullplan.storage as storage_package
from pullplan.storage.tables import Base


@cache
def metadata() -> MetaData:
    for module in pkgutil.iter_modules(storage_package.__path__):
        if module.name == "tables" or module.name.endswith("_tables"):
            importlib.import_module(f"{storage_package.__name__}.{module.name}")
    return Base.metadata
