"""The privacy notice (GDPR art. 13): one table per processing, true for the configuration rendering it."""

from __future__ import annotations

import html as html_module
import re

import pytest

from prospectra import create_app
from tests.browsers import SESSION
from tests.helpers import OPENAI_ASSISTANT
from tests.measurement import SCRIPT

NBSP = "\u00a0"
SERVICE = {
    "publisher": "Acme Prospection SAS",
    "publisher_legal_form": "SAS",
    "publisher_address": "1 rue de la Paix, 75002 Paris, France",
    "publisher_registration": "RCS Paris 912 345 678",
    "publisher_share_capital": "10 000 €",
    "publisher_vat": "FR74912345678",
    "publisher_phone": "+33 1 23 45 67 89",
    "publication_director": "Jeanne Martin",
    "domain": "app.acme.example",
    "contact_email": "privacy@acme.example",
    "dpo": "none",
}
HOSTING = {
    "name": "Hébergeur SAS",
    "address": "2 rue du Serveur, 59100 Roubaix, France",
    "phone": "+33 3 20 00 00 00",
    "country": "FR",
}
TAG = SCRIPT  # the consented third-party tag of the consent tests
ASSISTANT = {**OPENAI_ASSISTANT, "api_key": "sk-test"}
# The defaults, with the mentions filled in; and a consented third-party tag with the assistant on.
SETUPS = {
    "defaults": {"service": SERVICE, "hosting": HOSTING},
    "tag-and-assistant": {
        "service": SERVICE,
        "hosting": HOSTING,
        "analytics": {"providers": ["script"], "script": TAG},
        "assist": ASSISTANT,
    },
}
CAPTIONS = {
    "en": {
        "account": "Your account",
        "sessions": "Your session and your list of sessions",
        "throttle": "Security: counters of attempts",
        "logs": "Security: server access logs",
        "mail": "Your messages, sent through your own mail relay",
        "assist": "The writing assistant",
        "consent": "Your cookie choice",
        "script": "Audience measurement by Example Analytics",
    },
    "fr": {
        "account": "Votre compte",
        "sessions": "Votre session et la liste de vos sessions",
        "throttle": f"Sécurité{NBSP}: compteurs de tentatives",
        "logs": f"Sécurité{NBSP}: journaux d'accès du serveur",
        "mail": "Vos messages, envoyés par votre propre relais",
        "assist": "L'assistant de rédaction",
        "consent": "Votre choix en matière de cookies",
        "script": "Mesure d'audience par Example Analytics",
    },
}
FIELDS = {
    "en": ["Purpose", "Legal basis", "Data", "Source", "Recipients", "Transfers outside the EU", "Retention"],
    "fr": ["Finalité", "Base légale", "Données", "Provenance", "Destinataires", "Transferts hors de l'UE",
           "Durée de conservation"],
}  # fmt: skip
# Said on main before issue 15, and false for one configuration or another.
FALSE_SENTENCES = (
    "not disclosed to anyone else",
    "communiquées à personne d'autre",
    "only two cookies",
    "carry no personal data",
    "ne contiennent aucune donnée personnelle",
    "the operator",
    "l'exploitant",
    "as stated in the privacy policy of",
    "possibly outside the European Union",
    "éventuellement hors de l'Union européenne",
    "ask us which provider is used",
    "Set by the operator",
)


def words(markup: str) -> str:
    """Text as a reader sees it: tags dropped, entities decoded, runs of white space folded."""
    # Only ASCII white space is folded: French keeps its non-breaking spaces before « : ; ».
    text = html_module.unescape(re.sub(r"<[^>]+>", "", markup))
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def tables(page: str) -> dict[str, dict[str, str]]:
    """Each processing table of the page: its caption → {row header: cell text}."""
    found = {}
    for table in re.findall(r"<table>.*?</table>", page, re.S):
        caption = words(re.search(r"<caption[^>]*>(.*?)</caption>", table, re.S).group(1))
        found[caption] = {
            words(header): words(cell)
            for header, cell in re.findall(
                r'<th scope="row">(.*?)</th>\s*<td>(.*?)</td>', table, re.S
            )
        }
    return found


def render(tmp_path, setup: str, lang: str, **overrides) -> str:
    settings = {"app": {"instance_path": str(tmp_path)}, **SETUPS[setup]}
    for table, values in overrides.items():
        settings[table] = {**settings.get(table, {}), **values}
    app = create_app(settings, testing=True)
    response = app.test_client().get(f"/legal/privacy?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize(
    ("setup", "processings"),
    [
        ("defaults", ["account", "sessions", "throttle", "logs", "mail"]),
        ("tag-and-assistant", ["account", "sessions", "throttle", "logs", "mail", "assist", "consent", "script"]),
    ],
)  # fmt: skip
def test_each_processing_is_one_table_stating_every_article_13_field(
    tmp_path, setup, processings, lang
):
    page = render(tmp_path, setup, lang)
    found = tables(page)
    assert list(found) == [CAPTIONS[lang][key] for key in processings]
    for caption, rows in found.items():
        assert list(rows) == FIELDS[lang], caption
        assert all(rows.values()), caption


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", {
            "sessions": "Until you log out or end the session on your account page; otherwise the session ends after "
                        "20 minutes without activity and at the latest 8 hours after login, and its record and its "
                        "line in the list are then deleted.",
            "throttle": "In the server's memory, 24 hours at most for wrong passwords, 1 hour at most for messages, "
                        "then deleted.",
            "logs": "1 year, then deleted.",
        }),
        ("fr", {
            "sessions": f"Jusqu'à votre déconnexion ou jusqu'à ce que vous mettiez fin à la session depuis la page de "
                        f"votre compte{NBSP}; à défaut, la session prend fin après 20 minutes d'inactivité et au plus "
                        f"tard 8 heures après la connexion, et son enregistrement et sa ligne dans la liste sont alors "
                        f"supprimés.",
            "throttle": "Dans la mémoire du serveur, 24 heures au plus pour les mots de passe erronés, 1 heure au "
                        "plus pour les messages, puis effacés.",
            "logs": "1 an, puis supprimés.",
        }),
    ],
)  # fmt: skip
def test_retention_periods_are_those_configured_said_in_words(tmp_path, lang, expected):
    page = render(
        tmp_path,
        "defaults",
        lang,
        session={"idle_timeout_minutes": 20, "absolute_lifetime_hours": 8},
        limits={"login_per_address": "30 per minute; 300 per day", "sends_per_user": "30 per hour"},
        server={"access_log_retention_days": 365},
    )
    found = tables(page)
    retention = FIELDS[lang][-1]
    for key, sentence in expected.items():
        assert found[CAPTIONS[lang][key]][retention].startswith(sentence), key


@pytest.mark.parametrize(
    ("lang", "data", "retention"),
    [
        ("en", "Our application server logs one line per request: your network (IP) address, the date and time, "
               "the method, the address of the page without its query string, the protocol, the response status, its "
               "size, the time taken to answer, and your browser's User-Agent header. No Referer, no query string and "
               "no cookie are logged.", "6 months, then deleted."),
        ("fr", f"Notre serveur d'application inscrit une ligne par requête{NBSP}: votre adresse réseau (IP), la date "
               f"et l'heure, la méthode, l'adresse de la page sans ses paramètres, le protocole, le code de réponse, sa "
               f"taille, le temps de réponse et l'en-tête User-Agent de votre navigateur. Ni le Referer, ni les "
               f"paramètres de l'adresse, ni les cookies ne sont journalisés.", "6 mois, puis supprimés."),
    ],
)  # fmt: skip
def test_access_logs_state_what_gunicorn_writes_and_how_long_they_are_kept(
    tmp_path, lang, data, retention
):
    from prospectra import gunicorn_conf

    # The sentence describes this format: no %(r)s (query), %(f)s (Referer) or %({cookie}i)s.
    assert (
        gunicorn_conf.access_log_format
        == '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
    )
    logs = tables(render(tmp_path, "defaults", lang, server={"access_log_retention_days": 182}))[
        CAPTIONS[lang]["logs"]
    ]
    assert logs[FIELDS[lang][2]] == data
    assert logs[FIELDS[lang][-1]] == retention


@pytest.mark.parametrize(
    ("lang", "recipient", "transfer"),
    [
        ("en", "OpenAI, L.L.C., our processor (GDPR art. 28), which processes it on our instructions only; country: "
               "United States (its privacy policy).",
               "Yes, to a country outside the European Economic Area (United States), under the adequacy decision on "
               "the EU-US Data Privacy Framework (GDPR art. 45), under which OpenAI, L.L.C. is certified."),
        ("fr", f"OpenAI, L.L.C., notre sous-traitant (article 28 du RGPD), qui les traite sur nos seules "
               f"instructions{NBSP}; pays{NBSP}: États-Unis (sa politique de confidentialité).",
               "Oui, vers un pays hors de l'Espace économique européen (États-Unis), transfert encadré par la "
               "décision d'adéquation relative au cadre de protection des données UE–États-Unis (Data Privacy "
               "Framework, article 45 du RGPD), OpenAI, L.L.C. y étant certifié."),
    ],
)  # fmt: skip
def test_the_assistant_names_its_provider_country_and_transfer_safeguard(
    tmp_path, lang, recipient, transfer
):
    page = render(tmp_path, "tag-and-assistant", lang)
    assist = tables(page)[CAPTIONS[lang]["assist"]]
    assert assist[FIELDS[lang][4]] == recipient
    assert assist[FIELDS[lang][5]] == transfer
    assert 'href="https://openai.com/policies/privacy-policy/"' in page


@pytest.mark.parametrize(
    ("lang", "basis", "recipient", "transfer", "browser", "kept"),
    [
        ("en", "Your consent (GDPR art. 6(1)(a)), which you may withdraw at any time in Cookie settings.",
               "Example Analytics Ltd, a separate controller, which processes it for its own purposes; country: "
               "Ireland (its privacy policy).",
               "None: Ireland is in the European Economic Area.", "in your browser: _ex ",
               "14 months, then deleted; "),
        ("fr", "Votre consentement (article 6, paragraphe 1, point a), du RGPD), que vous pouvez retirer à tout "
               "moment dans la page Gestion des cookies.",
               f"Example Analytics Ltd, responsable de traitement distinct, qui les traite pour son propre "
               f"compte{NBSP}; pays{NBSP}: Irlande (sa politique de confidentialité).",
               f"Aucun{NBSP}: son pays (Irlande) fait partie de l'Espace économique européen.",
               f"dans votre navigateur{NBSP}: _ex ", "14 mois, puis supprimées"),
    ],
)  # fmt: skip
def test_a_consented_tag_is_a_named_recipient_with_its_basis_and_country(
    tmp_path, lang, basis, recipient, transfer, browser, kept
):
    page = render(tmp_path, "tag-and-assistant", lang)
    tag = tables(page)[CAPTIONS[lang]["script"]]
    assert tag[FIELDS[lang][1]] == basis
    assert tag[FIELDS[lang][4]] == recipient
    assert tag[FIELDS[lang][5]] == transfer
    # The cookie's lifetime, as the cookie policy states it.
    app = create_app(
        {"app": {"instance_path": str(tmp_path / "declared")}, **SETUPS["tag-and-assistant"]},
        testing=True,
    )
    cookie = next(
        c
        for c in app.test_client().get("/legal/cookies.json").get_json()["cookies"]
        if c["name"] == "_ex"
    )
    lifetime = (cookie["retention"] if lang == "en" else cookie["fr"]["retention"]).rstrip(".")
    assert tag[FIELDS[lang][-1]].startswith(kept)  # the vendor's own retention, a fixed period
    assert tag[FIELDS[lang][-1]].endswith(browser + lifetime.lower() + ".")
    assert 'href="https://example.net/privacy"' in page


@pytest.mark.parametrize(
    ("lang", "retention"),
    [
        ("en", "6 months in your browser; 3 years on our server as proof, then deleted."),
        (
            "fr",
            f"6 mois dans votre navigateur{NBSP}; 3 ans sur notre serveur à titre de preuve, puis supprimé.",
        ),
    ],
)
def test_consent_proof_is_kept_for_the_configured_retention(tmp_path, lang, retention):
    consent = tables(render(tmp_path, "tag-and-assistant", lang))[CAPTIONS[lang]["consent"]]
    assert consent[FIELDS[lang][-1]] == retention


@pytest.mark.parametrize(
    ("lang", "recipients", "transfer"),
    [
        ("en", "Us (Acme Prospection SAS), and our host Hébergeur SAS, which stores the data on our behalf as a "
               "processor (GDPR art. 28).", "None: the data is stored in France."),
        ("fr", "Nous (Acme Prospection SAS), et notre hébergeur Hébergeur SAS, qui stocke les données pour notre "
               "compte en qualité de sous-traitant (article 28 du RGPD).",
               f"Aucun{NBSP}: les données sont stockées dans l'Espace économique européen (France)."),
    ],
)  # fmt: skip
def test_what_we_keep_names_our_host_and_its_country(tmp_path, lang, recipients, transfer):
    account = tables(render(tmp_path, "defaults", lang))[CAPTIONS[lang]["account"]]
    assert account[FIELDS[lang][4]] == recipients
    assert account[FIELDS[lang][5]] == transfer


def test_a_host_outside_the_eea_is_a_transfer_with_its_safeguard(tmp_path):
    page = render(
        tmp_path / "set",
        "defaults",
        "en",
        hosting={"country": "CH", "transfer_safeguard": "adequacy"},
    )
    account = tables(page)[CAPTIONS["en"]["account"]]
    assert account["Transfers outside the EU"] == (
        "Yes, to a country outside the European Economic Area (Switzerland), under an adequacy "
        "decision of the European Commission (GDPR art. 45)."
    )
    unset = render(tmp_path / "unset", "defaults", "en", hosting={"country": "CH"})
    account = tables(unset)[CAPTIONS["en"]["account"]]
    assert account["Transfers outside the EU"] == "[to be set: hosting.transfer_safeguard]"


@pytest.mark.parametrize("setup", list(SETUPS))
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_no_sentence_found_false_in_issue_15_is_said(tmp_path, setup, lang):
    text = words(render(tmp_path, setup, lang))
    for sentence in FALSE_SENTENCES:
        assert sentence not in text, sentence


@pytest.mark.parametrize(
    ("lang", "sentence"),
    [
        ("en", "A random session identifier, kept by your browser in the session cookie: tied to your account, it is "
               "an online identifier and so personal data (GDPR art. 4(1), recital 30)."),
        ("fr", f"Un identifiant de session aléatoire, conservé par votre navigateur dans le cookie de session{NBSP}: "
               f"rattaché à votre compte, c'est un identifiant en ligne, donc une donnée personnelle (article 4, "
               f"paragraphe 1, du RGPD, considérant 30)."),
    ],
)  # fmt: skip
def test_the_session_cookie_is_called_personal_data(tmp_path, lang, sentence):
    sessions = tables(render(tmp_path, "defaults", lang))[CAPTIONS[lang]["sessions"]]
    assert sessions[FIELDS[lang][2]].startswith(sentence)


@pytest.mark.parametrize(
    ("lang", "sentences"),
    [
        ("en", ["The controller of the processing described here is Acme Prospection SAS, SAS, RCS Paris 912 345 678, "
                "registered office: 1 rue de la Paix, 75002 Paris, France.",
                "Data protection officer (DPO): we have not designated one.",
                "To create an account you must give an e-mail address and a password: without them we cannot create "
                "an account, and without an account the service cannot be used.",
                "No decision about you is taken by automated means, and we do not profile you (GDPR art. 22).",
                "Commission nationale de l'informatique et des libertés (CNIL), 3 place de Fontenoy, TSA 80715, "
                "75334 Paris Cedex 07, www.cnil.fr"]),
        ("fr", [f"Le responsable des traitements décrits ici est Acme Prospection SAS, SAS, RCS Paris 912 345 678, "
                f"siège social{NBSP}: 1 rue de la Paix, 75002 Paris, France.",
                f"Délégué à la protection des données (DPO){NBSP}: nous n'en avons pas désigné.",
                f"Pour créer un compte, vous devez indiquer une adresse e-mail et un mot de passe{NBSP}: sans eux, "
                f"nous ne pouvons pas créer de compte, et sans compte le service ne peut pas être utilisé.",
                "Aucune décision vous concernant n'est prise par des moyens automatisés, et nous ne procédons à "
                "aucun profilage (article 22 du RGPD).",
                "Commission nationale de l'informatique et des libertés (CNIL), 3 place de Fontenoy, TSA 80715, "
                "75334 Paris Cedex 07, www.cnil.fr"]),
    ],
)  # fmt: skip
def test_controller_dpo_requirement_automated_decisions_and_cnil_are_stated(
    tmp_path, lang, sentences
):
    text = words(render(tmp_path, "defaults", lang))
    for sentence in sentences:
        assert sentence in text


@pytest.mark.parametrize(
    ("lang", "rights"),
    [
        ("en", ["access your data", "rectified", "erased", "restriction", "object", "portability",
                "after your death", "withdraw your consent"]),
        ("fr", ["accéder à vos données", "rectification", "effacement", "limitation", "opposer", "portabilité",
                "après votre décès", "retirer à tout moment votre consentement"]),
    ],
)  # fmt: skip
def test_every_right_is_listed_and_withdrawal_only_where_consent_is_asked(tmp_path, lang, rights):
    with_tag = words(render(tmp_path / "tag", "tag-and-assistant", lang))
    for right in rights:
        assert right in with_tag
    without = words(render(tmp_path / "plain", "defaults", lang))
    assert rights[-1] not in without
    assert all(right in without for right in rights[:-1])


def test_a_designated_dpo_is_given_with_a_link(tmp_path):
    page = render(tmp_path, "defaults", "en", service={"dpo": "dpo@acme.example"})
    assert "Data protection officer (DPO): dpo@acme.example." in words(page)
    assert 'href="mailto:dpo@acme.example"' in page
    assert "or to our data protection officer" in words(page)


@pytest.mark.parametrize(
    ("lang", "marks"),
    [
        ("en", ["[to be set: service.publisher_address]", "[to be set: service.publisher_phone]",
                "[to be set: service.dpo]", "[to be set: hosting.name]", "[to be set: hosting.country]"]),
        ("fr", [f"[à renseigner{NBSP}: service.publisher_address]", f"[à renseigner{NBSP}: hosting.name]"]),
    ],
)  # fmt: skip
def test_development_shows_which_mention_is_missing(tmp_path, lang, marks):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    text = words(app.test_client().get(f"/legal/privacy?lang={lang}").get_data(as_text=True))
    for mark in marks:
        assert mark in text


def test_the_assistant_off_sends_nothing_and_is_not_counted(tmp_path):
    text = words(render(tmp_path, "defaults", "en"))
    assert (
        "The writing assistant is not enabled on this service: no data is sent to any AI provider."
        in text
    )
    assert "requests to the writing assistant" not in text


@pytest.mark.parametrize(
    ("analytics", "caption", "data", "retention"),
    [
        ({"providers": ["builtin"], "builtin": {"retention_months": 13}},
         "Audience measurement by Prospectra (built-in statistics)",
         "None about you: the server adds one to a daily count of views of the page's address pattern; no cookie, "
         "no identifier, no IP address kept.",
         "13 months, then deleted."),
        ({"providers": ["matomo"],
          "matomo": {"url": "https://stats.example.org/", "site_id": 3, "mode": "exempt", "retention_months": 25}},
         "Audience measurement by Matomo (stats.example.org)",
         "The identifier its cookies hold (_pk_id.3.*, _pk_ses.3.*), the pages you view and when, and what your "
         "browser sends with each request to https://stats.example.org: your network (IP) address, anonymised, and "
         "its User-Agent header.",
         "25 months, then deleted;"),
    ],
)  # fmt: skip
def test_a_tool_we_run_ourselves_states_its_data_and_fixed_retention(
    tmp_path, analytics, caption, data, retention
):
    page = render(tmp_path, "defaults", "en", analytics=analytics)
    tool = tables(page)[caption]
    assert tool["Data"] == data
    assert tool["Retention"].startswith(retention)
    assert tool["Recipients"].endswith(
        "Us (Acme Prospection SAS), and our host Hébergeur SAS, which stores the data on our behalf as a "
        "processor (GDPR art. 28)."
    )
    assert tool["Transfers outside the EU"] == "None: the data is stored in France."


# Art. 13 items whose sentences are fixed texts: each said, exactly, in both languages.
FIXED = {
    "en": {
        ("account", 0): "Provide your account and let you log in.",
        ("account", -1): "As long as the account exists: deleting your account (on your account page) "
                         "deletes it, with everything below that belongs to it.",
        ("throttle", 1): "Our legitimate interest in the security of the service and of your account "
                         "(GDPR art. 6(1)(f)).",
        ("logs", 1): "Our legitimate interest in the security and proper operation of the service "
                     "(GDPR art. 6(1)(f)).",
        ("consent", 1): "Our legal obligation to demonstrate consent (GDPR art. 6(1)(c) and GDPR art. 7(1)).",
        ("mail", -1): "Relay settings: until you change them or delete your account. A draft: until you "
                      "send it (it is then deleted), delete it, or delete your account.",
        ("assist", 0): "Draft the text of your message at your request.",
        ("assist", -1): "We keep the instructions with the draft, as above. OpenAI, L.L.C. processes them on "
                        "our instructions only, to answer the request; it keeps them 30 days, then deletes them.",
    },
    "fr": {
        ("account", 0): "Fournir votre compte et vous permettre de vous connecter.",
        ("account", -1): f"Tant que le compte existe{NBSP}: la suppression de votre compte (sur la page de "
                         f"votre compte) l'efface, avec tout ce qui s'y rattache ci-dessous.",
        ("throttle", 1): "Notre intérêt légitime à assurer la sécurité du service et de votre compte "
                         "(article 6, paragraphe 1, point f), du RGPD).",
        ("logs", 1): "Notre intérêt légitime à assurer la sécurité et le bon fonctionnement du service "
                     "(article 6, paragraphe 1, point f), du RGPD).",
        ("consent", 1): "Notre obligation légale de démontrer le consentement (article 6, paragraphe 1, "
                        "point c), du RGPD et article 7, paragraphe 1, du RGPD).",
        ("mail", -1): f"Réglages du relais{NBSP}: jusqu'à ce que vous les modifiiez ou supprimiez votre "
                      f"compte. Un brouillon{NBSP}: jusqu'à son envoi (il est alors supprimé), sa "
                      f"suppression ou celle de votre compte.",
        ("assist", 0): "Rédiger le texte de votre message à votre demande.",
        ("assist", -1): f"Nous conservons les consignes avec le brouillon, comme ci-dessus. OpenAI, L.L.C. ne "
                        f"les traite que sur nos instructions, pour répondre à la demande{NBSP}; les consignes y "
                        f"sont conservées 30 jours, puis supprimées.",
    },
}  # fmt: skip
RELAY = {
    "en": 'A message you send: the relay you configured, which our server contacts only when you click '
          '"Send", and which delivers it to its recipients.',
    "fr": f"Un message que vous envoyez{NBSP}: le relais que vous avez configuré, que notre serveur ne "
          f"contacte que lorsque vous cliquez sur «{NBSP}Envoyer{NBSP}», et qui le remet à ses destinataires.",
}  # fmt: skip
REACH = {
    "en": "You can reach us at privacy@acme.example or by phone on +33 1 23 45 67 89.",
    "fr": "Vous pouvez nous écrire à privacy@acme.example ou nous appeler au +33 1 23 45 67 89.",
}
OPTIONAL = {
    "en": "Everything else is up to you: the relay settings are needed only to send messages, the "
          "instructions only to use the writing assistant, and refusing cookies that need your consent "
          "costs you nothing.",
    "fr": f"Le reste est facultatif{NBSP}: les réglages du relais ne sont nécessaires que pour envoyer des "
          f"messages, les consignes que pour utiliser l'assistant de rédaction, et refuser les cookies "
          f"soumis à votre consentement ne vous prive de rien.",
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_purposes_interests_retentions_relay_phone_and_optional_data_are_stated(tmp_path, lang):
    # Art. 13(1)(a) phone, (c) purposes, (d) the legitimate interests, (e) the relay as recipient,
    # (2)(a) retention, (2)(e) what is optional.
    page = render(tmp_path, "tag-and-assistant", lang)
    found = tables(page)
    for (processing, row), sentence in FIXED[lang].items():
        assert found[CAPTIONS[lang][processing]][FIELDS[lang][row]] == sentence, processing
    assert found[CAPTIONS[lang]["mail"]][FIELDS[lang][4]].endswith(RELAY[lang])
    text = words(page)
    assert REACH[lang] in text and OPTIONAL[lang] in text


@pytest.mark.parametrize(
    ("days", "lang", "said"),
    [
        (0, "en", "it keeps nothing once it has answered."),
        (0, "fr", "aucune n'y est conservée une fois la réponse donnée."),
        (-1, "en", "it keeps them [to be set: assist.retention_days]."),
        (-1, "fr", f"les consignes y sont conservées [à renseigner{NBSP}: assist.retention_days]."),
    ],
)
def test_the_assistant_providers_retention_is_a_period_or_a_visible_gap(tmp_path, days, lang, said):
    page = render(tmp_path, "tag-and-assistant", lang, assist={"retention_days": days})
    assert tables(page)[CAPTIONS[lang]["assist"]][FIELDS[lang][-1]].endswith(said)


# Each key of a login session's server record, and how the privacy notice names it.
RECORD_KEYS = {
    "_user_id": ("your user identifier", "votre identifiant d'utilisateur"),
    "_login_at": ("the time you logged in", "l'heure de votre connexion"),
    "_stored_at": (
        "the time the record was last written",
        "celle de la dernière écriture de l'enregistrement",
    ),
    "_user": ("your e-mail address, the date your account was created and the version of this "
              "notice you were last told about", "votre adresse e-mail, la date de création de "
              "votre compte et la version de cette politique qui vous a été signalée en dernier"),
    # Flask's and Flask-Login's flags (not personal data): the cookie ends with the browser, the
    # login was made with the password in this session.
    "_permanent": None,
    "_fresh": None,
}  # fmt: skip


@pytest.mark.both_backends
def test_the_session_record_holds_only_what_the_privacy_notice_lists(app, client, auth, make_user):
    make_user()
    auth.login()
    client.get("/dashboard")
    store = app.session_interface.store
    with app.app_context():
        record = store._retrieve_session_data(store.store_id(client.get_cookie(SESSION).value))
    assert set(record) == set(RECORD_KEYS)  # no IP address, no User-Agent hash, no CSRF secret
    assert record["_user"]["email"] == "ada@example.org"
    for lang, position in (("en", 0), ("fr", 1)):
        page = words(client.get(f"/legal/privacy?lang={lang}").get_data(as_text=True))
        for named in RECORD_KEYS.values():
            if named is not None:
                assert named[position] in page, named[position]
    assert "The form-protection secret is not kept there" in words(
        client.get("/legal/privacy?lang=en").get_data(as_text=True)
    )
