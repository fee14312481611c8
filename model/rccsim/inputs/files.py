"""Reading users' YAML files strictly: UTF-8, valid YAML, no key given twice."""

from __future__ import annotations

from pathlib import Path

import yaml

from rccsim.base.errors import InputError


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (the last would win)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the base class says so
                break
            if duplicate:
                raise InputError(f"line {key_node.start_mark.line + 1}: key '{key}' is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml_strict(path: Path, what: str):
    """A user's YAML file, read strictly: UTF-8 text, valid YAML, no key given twice; any
    problem is one :class:`InputError` naming the file."""
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a folder, not a YAML file") from None
    except PermissionError:
        raise InputError(f"{what} file {path} cannot be read (permission denied)") from None
    except OSError as exc:
        raise InputError(f"{what} file {path} cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text (byte {exc.start}): save it as UTF-8") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
    except InputError as exc:
        raise InputError(f"{what} {path}: {exc}") from None
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"{what} {path} is not valid YAML{at}") from None
    except RecursionError:
        raise InputError(f"{what} {path} nests too deeply to be a {what}") from None
