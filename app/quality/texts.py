"""QA flags as the user reads them: titles and findings in the UI language.

The checks (:mod:`app.quality.checks`) write their findings in English, and the store keeps them so in
``sample_flags.detail``: data, the same whoever checked. Here they are shown in the language of
:func:`app.i18n.set_language`: each English template the checks and the near-duplicate search make is
listed below for the catalog, and :func:`app.i18n.display` matches a finding against them.
tests/test_app_i18n.py runs every check and fails when a finding has no template here.
"""

from __future__ import annotations

from app.i18n import N_, display
from app.quality.checks import Finding

# The checks' one-line titles (checks.CHECK_TITLES, flags.FLAG_TITLES): looked up as they are.
TITLES = (
    N_("half-width punctuation in Chinese text (or full-width in code)"),
    N_("ending punctuation does not match the source"),
    N_("English left untranslated in a Chinese field"),
    N_("Simplified and Traditional characters mixed"),
    N_("code fence unclosed or changed from the source"),
    N_("unbalanced brackets or quotes"),
    N_("a phrase repeated over and over"),
    N_("empty field"),
    N_("field looks cut off"),
    N_("near-duplicate of another sample"),
)

# What the checks say (the ``message`` of a Finding), with the names of their values.
FINDINGS = (
    N_("half-width '{mark}' in Chinese text, use '{full}': {snippet}"),
    N_("full-width '{mark}' in code, outside strings and comments: {snippet}"),
    N_("ends with {found} but the source ends with {expected}: {snippet}"),
    N_("no punctuation"),
    N_("has no Chinese at all: {snippet}"),
    N_("is the source text, untranslated"),
    N_("{n} English words in a row: {snippet}"),
    N_(
        "Traditional '{traditional}' ({n_traditional} such) beside Simplified '{simplified}' at character"
        " {at} ({n_simplified} such): {snippet}"
    ),
    N_("code fence opened but never closed: {snippet}"),
    N_("malformed code fence: {snippet}"),
    N_("has {n} code blocks, the source has {source_n}"),
    N_("code block {i} is marked '{lang}', the source '{source_lang}'"),
    N_("code block {i} differs from the source's (beyond comments and strings): {snippet}"),
    N_("'{inner}' is not closed before '{char}': {snippet}"),
    N_("'{char}' has no opening '{opener}': {snippet}"),
    N_("'{char}' is never closed: {snippet}"),
    N_("'{phrase}' said 3 or more times in a row: {snippet}"),
    N_("the sentence '{sentence}' appears {times} times"),
    N_("'{unit}' repeated {times} times in a row: {snippet}"),
    N_("{n} characters for a source of {source_n}: cut off? {snippet}"),
    N_("ends on '{last}', mid-sentence: {snippet}"),
    N_("the last sentence stops without punctuation: {snippet}"),
    N_("is empty, but the source has text"),
    N_("is empty"),
    N_("holds only spaces"),
    # checks.detail(): more findings than a flag keeps.
    N_("… and {n} more"),
    # dedup.mark_near_duplicates()
    N_("near-duplicate of sample {id} (similarity {similarity})"),
)

# Finding.describe(): where, then what. {field} is a content path (output, messages[2].content).
WHERE_AT = N_("{field}, character {offset}: {message}")
WHERE = N_("{field}: {message}")


def title(text: str) -> str:
    """A check's title in the UI language."""
    return display(text)


def finding(found: Finding) -> str:
    """``found.describe()`` in the UI language."""
    return display(found.describe())
