"""A corpus of real text for curation: good English, a near and an exact duplicate, German and
French, boilerplate, symbol soup and personal data, extracted by the real extraction engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction_fixtures import extract_folder, set_file_time

RIVERS = (
    "The river rises in the northern hills and flows for almost two hundred kilometres before "
    "it reaches the sea. Along its course it passes three market towns, each built at a point "
    "where the water was shallow enough to cross on foot. In the nineteenth century the valley "
    "became a centre of the wool trade, and mills were built beside every weir. Most of those "
    "mills are now homes or museums, but the stone bridges remain in use. Today the river is "
    "known for its clear water, its salmon, and the long footpath that follows its banks from "
    "the source to the estuary, which thousands of walkers complete every summer."
)
# RIVERS with small edits: a few words changed, one added, as a re-edited copy would have.
RIVERS_EDITED = (
    RIVERS.replace("almost two hundred", "nearly two hundred")
    .replace("market towns", "busy market towns")
    .replace("every summer", "each summer")
)
BREAD = (
    "Baking bread at home needs only flour, water, salt and yeast, yet the results vary widely. "
    "The flour's protein content decides how much gluten forms when the dough is kneaded, and "
    "gluten is what traps the gas that the yeast produces. A long, cool rise develops more "
    "flavour than a short, warm one, because enzymes have time to break starch into sugars. "
    "Bakers who want a crisp crust often put a tray of water in the oven, since steam keeps the "
    "surface soft long enough for the loaf to expand fully before the crust sets and browns."
)
COMETS = (
    "Comets are small bodies of ice and dust that orbit the Sun on long, stretched paths. When "
    "one comes close to the Sun, the heat turns some of its ice directly into gas, which carries "
    "dust away from the nucleus and forms a bright cloud called the coma. Sunlight and the solar "
    "wind push this material into tails that can stretch for millions of kilometres. Some comets "
    "return every few years, while others take thousands of years to complete a single orbit, "
    "and a few pass through the inner solar system only once before leaving it for good."
)
GERMAN = (
    "Die Stadtbibliothek bleibt in den Sommerferien von Montag bis Freitag geöffnet, allerdings "
    "mit kürzeren Öffnungszeiten. Neue Bücher können weiterhin online vorgemerkt werden, und die "
    "Rückgabe ist jederzeit über den Briefkasten am Haupteingang möglich. Während dieser Zeit "
    "wird der Lesesaal renoviert, damit im Herbst mehr Arbeitsplätze und bessere Beleuchtung zur "
    "Verfügung stehen. Die Kinderabteilung bietet an jedem Mittwoch eine Vorlesestunde an, zu "
    "der keine Anmeldung nötig ist. Wir danken allen Besucherinnen und Besuchern für ihr "
    "Verständnis und freuen uns darauf, sie nach den Ferien in den neuen Räumen zu begrüßen."
)
FRENCH = (
    "Le marché couvert de la ville ouvre ses portes tous les samedis dès sept heures du matin. "
    "Les producteurs de la région y vendent des fruits, des légumes, du fromage et du pain, et "
    "la plupart acceptent désormais le paiement par carte. Pendant l'hiver, un stand propose de "
    "la soupe chaude et du vin aux épices, ce qui attire de nombreux visiteurs malgré le froid. "
    "La mairie prévoit d'agrandir le bâtiment l'année prochaine afin d'accueillir davantage "
    "d'exposants, notamment des artisans qui travaillent le bois, le cuir et la céramique, et "
    "de créer un petit espace où les enfants pourront jouer pendant que les parents font leurs courses."
)
BOILERPLATE = "\n".join(
    ["Home | About us | Contact | Privacy policy", "Accept all cookies", "Sign in"] * 20
)
SYMBOL_SOUP = " ".join(["#### @@@ %%% ^^^ &&& *** ||| ~~~ === +++"] * 12)
PII = (
    "Thank you for registering for the spring workshop on data management. The sessions take "
    "place in the main hall of the conference centre, and lunch is provided on both days. If "
    "you have questions about the programme, please write to jane.doe@example.com or call our "
    "office on +44 20 7946 0958 between nine and five. You may also reach the organisers at "
    "workshop-team@example.org. The registration fee was charged to the card 4111 1111 1111 "
    "1111 as you requested; the reference number 4111 1111 1111 1112 on your receipt is not a "
    "card and can be ignored. We look forward to seeing you and hope the workshop is useful."
)

CORPUS = {
    "a-rivers.txt": RIVERS,
    "b-bread.txt": BREAD,
    "c-comets.txt": COMETS,
    "d-rivers-edited.txt": RIVERS_EDITED,
    "e-bread-copy.txt": BREAD,
    "f-library-de.txt": GERMAN,
    "g-market-fr.txt": FRENCH,
    "h-boilerplate.txt": BOILERPLATE,
    "i-symbols.txt": SYMBOL_SOUP,
    "j-registration.txt": PII,
}


def write_corpus(folder: Path, documents: dict[str, str] = CORPUS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        path = folder / name
        path.write_text(text + "\n", encoding="utf-8")
        set_file_time(path)
    return folder


def extracted(tmp_path: Path, documents: dict[str, str] = CORPUS) -> Path:
    """The corpus extracted for real; returns the text.parquet."""
    corpus = write_corpus(tmp_path / "corpus", documents)
    extract_folder(corpus, tmp_path / "extracted", workers=0)
    return tmp_path / "extracted" / "text.parquet"


@pytest.fixture(name="curation_source")
def curation_source_fixture(tmp_path: Path) -> Path:
    return extracted(tmp_path)
