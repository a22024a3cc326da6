"""salescoord: the GraphQL back end of a B2B sales-enablement CMS.

Its layers are imported as `salescoord.db`, `salescoord.permissions`, `salescoord.resolvers`
and `salescoord.schema`, so an installed service takes no top-level name that PyPI packages
use (`db` and `schema` are both on PyPI). The wheel installs them inside this package
(pyproject's package-dir); a checkout keeps them at its top, where a reader finds them,
and this package's path reaches them there.
"""

from pathlib import Path

_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and not (Path(__file__).parent / "db").is_dir():
    __path__.append(str(_checkout))
