"""The register domain's routes and offline writes: profiles, the daily round and its calls, the import."""

from server.register import import_words
from server.register.controllers import RegisterAdminController, RegisterController, round_phones
from server.register.import_controllers import RegisterImportController
from server.register.round import CHECK_IN
from server.web.domains import Domain

DOMAIN = Domain(
    pages=[RegisterController, RegisterAdminController, RegisterImportController],
    api=[round_phones],
    writes=[CHECK_IN],
    template_globals={
        "import_problem": import_words.problem_words,
        "import_value": import_words.value_word,
        "import_field": import_words.field_label,
        "import_action": import_words.action_word,
    },
)
