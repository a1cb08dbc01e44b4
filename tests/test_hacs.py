"""HACS and hassfest rules for this repository, checked here instead of first in their GitHub actions.

The rules are transcribed from their sources, so a failure here is one those validators would report:
- HACS (hacs/integration, custom_components/hacs/utils/validate.py and validate/*.py, August 2026):
  `HACS_MANIFEST_JSON_SCHEMA` for hacs.json, `INTEGRATION_MANIFEST_JSON_SCHEMA` for manifest.json, the
  brands, information (README) and repository-structure checks.
- hassfest (home-assistant/core, script/hassfest/manifest.py, translations.py, icons.py, 2026.9-2026.10):
  `CUSTOM_INTEGRATION_MANIFEST_SCHEMA`, `sort_manifest` (domain, name, then alphabetical), the required
  `version` of a custom integration, `translation_value_validator` (no HTML, no URL, no placeholder in
  single quotes, no combined reference, no surrounding spaces), `RE_TRANSLATION_KEY`, and the icon schema.
Plus what neither checks statically but both rely on: every translation key the code uses has its text,
every icon belongs to a translation key, and CHANGELOG.md describes the version manifest.json declares.
"""

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
from typing import Any

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.helpers import config_validation as cv
import probatio
import pytest

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "smart_kitchen"
HACS_JSON: dict[str, Any] = json.loads((ROOT / "hacs.json").read_text())
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
EN: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text())
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text())

# HACS: HACS_MANIFEST_JSON_SCHEMA (extra=PREVENT_EXTRA) with each key's type.
HACS_KEYS: dict[str, Any] = {
    "content_in_root": bool,
    "country": str | list,
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
    "name": str,
}

# hassfest: CUSTOM_INTEGRATION_MANIFEST_SCHEMA, the keys a custom integration's manifest may have.
MANIFEST_KEYS = {
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "domain",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "name",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
INTEGRATION_TYPES = {
    "device",
    "entity",
    "hardware",
    "helper",
    "hub",
    "service",
    "system",
}
IOT_CLASSES = {
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
}
QUALITY_SCALES = {"internal", "silver", "gold", "platinum"}

# hassfest translations.py.
RE_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
RE_COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
RE_PLACEHOLDER_IN_SINGLE_QUOTES = re.compile(r"'{\w+}'")
# Only a host with an alphabetic top-level domain counts: "http://192.168.1.20:8765" as an example
# address in a form is allowed, "https://example.com" is not.
RE_URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)

ENTITY_PLATFORMS = {
    "binary_sensor",
    "button",
    "event",
    "number",
    "select",
    "sensor",
    "switch",
}


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield every string value of a JSON document with its dotted path."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else key)
    elif isinstance(node, str):
        yield path, node


def translation_value_problem(value: str) -> str | None:
    """Return why hassfest's translation_value_validator refuses a value, or None."""
    try:
        cv.string_with_no_html(value)
    except probatio.Invalid as err:
        return str(err)
    if RE_PLACEHOLDER_IN_SINGLE_QUOTES.search(value):
        return "a placeholder inside single quotes"
    if RE_COMBINED_REFERENCE.search(value):
        return "a combined translation reference"
    if value != value.strip():
        return "leading or trailing spaces"
    if RE_URL.search(value):
        return "a URL (use description placeholders instead)"
    return None


def test_hacs_json() -> None:
    """hacs.json has only keys HACS knows, of the right types, and none HACS 2 ignores."""
    assert isinstance(HACS_JSON.get("name"), str)
    assert HACS_JSON["name"]
    for key, value in HACS_JSON.items():
        assert key in HACS_KEYS, f"HACS refuses the key {key!r}"
        assert isinstance(value, HACS_KEYS[key]), key
    # HACS 2 renders the README always; the key is accepted but does nothing any more.
    assert "render_readme" not in HACS_JSON
    if HACS_JSON.get("zip_release"):
        assert HACS_JSON.get("filename")
    # The minimum Home Assistant version is one the suite actually runs on (or older).
    assert AwesomeVersion(HACS_JSON["homeassistant"]) <= AwesomeVersion(HA_VERSION)


def test_repository_layout_for_hacs() -> None:
    """HACS finds one integration, its brand icon, a README and a license."""
    assert [
        path.name
        for path in (ROOT / "custom_components").iterdir()
        if path.is_dir() and not path.name.startswith("__")
    ] == [MANIFEST["domain"]]
    assert (INTEGRATION / "brand" / "icon.png").is_file()
    assert (ROOT / "README.md").is_file()
    assert (ROOT / "LICENSE").is_file()


def test_manifest_as_hacs_reads_it() -> None:
    """INTEGRATION_MANIFEST_JSON_SCHEMA: codeowners, documentation, domain, issue_tracker, name, version."""
    assert isinstance(MANIFEST["codeowners"], list)
    for key in ("documentation", "issue_tracker"):
        assert re.match(r"^https?://[^\s/]+\.[^\s/]+", MANIFEST[key]), key
    assert isinstance(MANIFEST["domain"], str)
    assert isinstance(MANIFEST["name"], str)
    AwesomeVersion(MANIFEST["version"])


def test_manifest_as_hassfest_reads_it() -> None:
    """CUSTOM_INTEGRATION_MANIFEST_SCHEMA and the rules around it."""
    assert set(MANIFEST) <= MANIFEST_KEYS, set(MANIFEST) - MANIFEST_KEYS
    assert MANIFEST["domain"] == INTEGRATION.name
    assert isinstance(MANIFEST["name"], str)
    assert MANIFEST["documentation"].startswith("https://")
    assert all(isinstance(owner, str) for owner in MANIFEST["codeowners"])
    assert MANIFEST.get("integration_type", "hub") in INTEGRATION_TYPES
    assert MANIFEST["iot_class"] in IOT_CLASSES
    assert all(isinstance(item, str) for item in MANIFEST.get("zeroconf", []))
    # A custom integration must carry a version that one of these strategies reads.
    try:
        AwesomeVersion(
            MANIFEST["version"],
            ensure_strategy=[
                AwesomeVersionStrategy.CALVER,
                AwesomeVersionStrategy.SEMVER,
                AwesomeVersionStrategy.SIMPLEVER,
                AwesomeVersionStrategy.BUILDVER,
                AwesomeVersionStrategy.PEP440,
            ],
        )
    except AwesomeVersionException:
        pytest.fail(f"{MANIFEST['version']!r} is not a valid version")
    if (scale := MANIFEST.get("quality_scale")) is not None:
        assert scale in QUALITY_SCALES
        if scale in ("gold", "platinum"):
            assert MANIFEST["codeowners"]
            assert (INTEGRATION / "diagnostics.py").is_file()


def test_manifest_key_order() -> None:
    """Hassfest sort_manifest: domain, name, then alphabetical."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_changelog_describes_the_manifest_version() -> None:
    """CHANGELOG.md (Keep a Changelog) has an entry for the version HACS will show."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog")
    assert "## [Unreleased]" in changelog
    released = re.findall(
        r"^## \[(\d[^\]]*)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.MULTILINE
    )
    assert released, "no released version in CHANGELOG.md"
    assert released[0][0] == MANIFEST["version"], (
        "the newest entry is not the manifest's version"
    )
    assert f"[{MANIFEST['version']}]: " in changelog, "no link for the version"


def test_translation_values() -> None:
    """Every text passes hassfest's translation_value_validator."""
    problems = [
        (path, problem)
        for path, value in strings(EN)
        if (problem := translation_value_problem(value)) is not None
    ]
    assert not problems


@pytest.mark.parametrize(
    ("value", "refused"),
    [
        ("for example http://192.168.1.20:8765", False),
        ("see https://example.com/docs", True),
        ("see WWW.EXAMPLE.COM", True),
        ("<b>bold</b>", True),
        ("The name '{name}'", True),
        (" padded", True),
        ("Plain {name} text", False),
    ],
)
def test_translation_value_rules(value: str, refused: bool) -> None:
    """The transcribed rules refuse what hassfest's own tests refuse, and allow an IP example."""
    assert (translation_value_problem(value) is not None) is refused


def test_translation_structure() -> None:
    """Sections and translation keys have the shape hassfest's strings schema requires."""
    assert set(EN) <= {
        "config",
        "device_automation",
        "entity",
        "exceptions",
        "issues",
        "options",
        "selector",
        "services",
        "system_health",
        "title",
    }
    for platform, entities in EN.get("entity", {}).items():
        assert platform in ENTITY_PLATFORMS, platform
        for key, entity in entities.items():
            assert RE_TRANSLATION_KEY.match(key), key
            assert set(entity) <= {
                "name",
                "state",
                "state_attributes",
                "unit_of_measurement",
            }
            for state in entity.get("state", {}):
                assert RE_TRANSLATION_KEY.match(state), (key, state)
    for key, exception in EN.get("exceptions", {}).items():
        assert RE_TRANSLATION_KEY.match(key), key
        assert set(exception) == {"message"}, key
    for key, issue in EN.get("issues", {}).items():
        assert "title" in issue, key
        assert ("description" in issue) != ("fix_flow" in issue), key
    for step, texts in EN["config"]["step"].items():
        assert set(texts) <= {
            "title",
            "description",
            "data",
            "data_description",
            "sections",
        }, step
        assert set(texts.get("data_description", {})) <= set(texts.get("data", {})), (
            step
        )


def _translation_keys_in_code() -> Iterator[tuple[str, str, str]]:
    """Yield (file, section, key) for every translation key the integration's code names.

    A key passed with `translation_domain` is an exception's, one passed to `async_create_issue` an
    issue's, and any other an entity's: of the platform the module is named after, or of any platform
    ("entity.*") for a module that is not a platform.
    """
    for path in sorted(INTEGRATION.rglob("*.py")):
        if "api" in path.relative_to(INTEGRATION).parts:
            continue  # the protocol library speaks no Home Assistant
        platform = path.stem if path.stem in ENTITY_PLATFORMS else "*"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if (
                        isinstance(target, ast.Name | ast.Attribute)
                        and getattr(target, "id", getattr(target, "attr", None))
                        == "_attr_translation_key"
                        and isinstance(node.value, ast.Constant)
                    ):
                        yield path.name, f"entity.{platform}", node.value.value
            if not isinstance(node, ast.Call):
                continue
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            key = keywords.get("translation_key")
            if not isinstance(key, ast.Constant):
                continue
            function = node.func
            name = getattr(function, "attr", getattr(function, "id", ""))
            if "translation_domain" in keywords:
                yield path.name, "exceptions", key.value
            elif name.endswith("create_issue"):
                yield path.name, "issues", key.value
            else:
                yield path.name, f"entity.{platform}", key.value


def test_translation_keys_used_in_code_exist() -> None:
    """Every translation key in the code has its text in en.json, in the section that uses it."""
    used = list(_translation_keys_in_code())
    assert {section for _, section, _ in used} >= {
        "exceptions",
        "issues",
        "entity.sensor",
    }
    missing = []
    for file, section, key in used:
        if section == "entity.*":
            found = any(key in entities for entities in EN["entity"].values())
        else:
            node: Any = EN
            for part in section.split("."):
                node = node.get(part, {})
            found = key in node
        if not found:
            missing.append((file, section, key))
    assert not missing


def test_icons() -> None:
    """icons.json follows hassfest's icon schema, and every icon belongs to a translation key."""
    assert set(ICONS) <= {"config", "entity", "issues", "options", "services"}
    for platform, entities in ICONS.get("entity", {}).items():
        assert platform in EN["entity"], platform
        for key, icons in entities.items():
            assert RE_TRANSLATION_KEY.match(key), key
            assert key in EN["entity"][platform], (
                f"icon for unknown key {platform}.{key}"
            )
            # "range" (numeric state thresholds) is resolved by the 2026.10 frontend's icon code.
            assert set(icons) <= {"default", "range", "state", "state_attributes"}, key
            for path, icon in strings(icons):
                assert icon.startswith("mdi:"), (platform, key, path)
            for state in icons.get("state", {}):
                assert RE_TRANSLATION_KEY.match(state), (key, state)
            translated = EN["entity"][platform][key].get("state_attributes", {})
            for attribute, attribute_icons in icons.get("state_attributes", {}).items():
                assert attribute in translated, (
                    f"icon for unknown attribute {key}.{attribute}"
                )
                assert set(attribute_icons) == {"default", "state"}, (key, attribute)
                assert (
                    attribute_icons["default"] not in attribute_icons["state"].values()
                ), (
                    f"{key}.{attribute}: a state icon equals the default and can be removed"
                )
