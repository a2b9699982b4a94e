"""What a session says about who its people are: a person of another organisation ("Rik Veldhuis van Veldhuis
Tweewielers"), or a caller who is no customer at all ("geen bestaande klant")."""

import re

from sdc_assets.enrichment.customer_index import CustomerIndex
from sdc_assets.enrichment.names import PARTICLES, name_key

# A session that says its caller is no customer: a prospect, whatever names it holds.
DENIAL = re.compile(
    r"(?i)\b(?:geen (?:bestaande )?klant|niet (?:bij ons )?(?:als )?klant|nergens in syncro|niet in syncro|"
    r"geen familie|not (?:an? )?(?:existing )?(?:client|customer)|no (?:existing )?(?:client|customer)|"
    r"not in syncro|no relation|not related|kein kunde)\b"
)
# A person named with the organisation they are of: "Rik Veldhuis van Veldhuis Tweewielers", "Jan Visser hier,
# conciërge van OBS De Regenboog", "Tom Hale from Hale Builders".
_AFFILIATION = re.compile(
    r"^[\s,]*(?:[\w'-]+[\s,]+){0,3}?(?:van|bij|from|of|at|von|vom)\s+((?:[A-Z][\w'&.-]*\s*){1,4})"
)


def affiliations(texts, index: CustomerIndex) -> dict[str, set[str]]:
    """Person name key → the words of the organisation the running texts say they are of."""
    found: dict[str, set[str]] = {}
    for text in texts:
        if text.structured:
            continue
        for mention in index.names.find(text.text, text.where):
            if mention.name.person and (match := _AFFILIATION.match(text.text[mention.end :])):
                found.setdefault(name_key(mention.name.text), set()).update(name_key(match.group(1)).split())
    return found


def of_another(clue, elsewhere: dict[str, set[str]], index: CustomerIndex) -> bool:
    """The person of ``clue`` is said to be of an organisation that shares no word with the clue's customer."""
    words = elsewhere.get(name_key(clue.value))
    return bool(words) and not words & index.words_of(clue.customer_id) - set(PARTICLES)
