"""pullplan: lean pull planning for sales and marketing teams."""

__version__ = "0.1.0"
