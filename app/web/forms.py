"""The WTForms classes of the fixed pages (login, persons, cases, administration)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..cycle import AREAS, CLOSING_REASONS, PHASES
from ..store.users import ROLES

REQUIRED = _l("Campo obbligatorio.")
BAD_DATE = _l("Data non valida: usare il formato gg/mm/aaaa.")


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def _required():
    return InputRequired(message=REQUIRED)


def _date(label, *validators):
    return DateField(label, validators=list(validators) or [Optional()], format="%Y-%m-%d",
                     render_kw={"placeholder": "gg/mm/aaaa"})


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LoginForm(FlaskForm):
    username = StringField(_l("Nome utente"), validators=[_required(), Length(max=80)],
                           render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[_required()],
                             render_kw={"autocomplete": "current-password"})


class PersonForm(FlaskForm):
    codice_fiscale = StringField(
        _l("Codice fiscale"), validators=[Optional(), Length(max=32)],
        description=_l("Lasciare vuoto solo se la persona non ne ha uno (es. stranieri senza "
                       "codice, neonati): la scheda sarà segnalata come incompleta."),
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    cognome = StringField(_l("Cognome"), validators=[_required(), Length(max=120)])
    nome = StringField(_l("Nome"), validators=[_required(), Length(max=120)])
    sesso = RadioField(_l("Sesso"), choices=options([("F", _l("Femmina")), ("M", _l("Maschio")),
                                                     ("", _l("Non indicato"))]), default="")
    data_nascita = _date(_l("Data di nascita"), Optional())
    luogo_nascita = StringField(_l("Luogo di nascita"), validators=[Length(max=120)])
    cittadinanza = StringField(_l("Cittadinanza"), validators=[Length(max=80)])
    comune_residenza = StringField(_l("Comune di residenza"), validators=[Length(max=120)])
    indirizzo = StringField(_l("Indirizzo di residenza"), validators=[Length(max=200)])
    domicilio = StringField(_l("Domicilio abituale, se diverso"), validators=[Length(max=200)])
    telefono = StringField(_l("Telefono"), validators=[Length(max=40)],
                           render_kw={"autocomplete": "off", "inputmode": "tel"})
    email = EmailField(_l("Email"), validators=[Optional(), Email(_l("Indirizzo email non valido.")),
                                                Length(max=200)])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])


class CaseForm(FlaskForm):
    area = SelectField(_l("Area di intervento"), choices=options(list(AREAS.items())),
                       validators=[_required()])
    fase = SelectField(_l("Fase del ciclo"), choices=options(list(PHASES.items())[:-1]), default="accesso")
    manager_id = SelectField(_l("Case manager"), coerce=int, validators=[_required()])
    team = MultiCheckboxField(_l("Équipe"), coerce=int)
    data_apertura = _date(_l("Data di apertura"), Optional())
    prossima_verifica = _date(_l("Prossima verifica"), Optional())
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])


class CloseCaseForm(FlaskForm):
    motivo_chiusura = SelectField(_l("Motivo della chiusura"), choices=options(list(CLOSING_REASONS.items())),
                                  validators=[_required()])
    data_chiusura = _date(_l("Data di chiusura"), _required())


class ReopenCaseForm(FlaskForm):
    fase = SelectField(_l("Riapri dalla fase"), choices=options(list(PHASES.items())[:-1]),
                       default="valutazione")


class OfficeForm(FlaskForm):
    code = StringField(_l("Codice"), validators=[
        _required(), Length(max=20),
        Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Solo lettere, cifre, trattino e trattino basso."))])
    name = StringField(_l("Nome"), validators=[_required(), Length(max=200)])
    address = StringField(_l("Indirizzo"), validators=[Length(max=200)])
    phone = StringField(_l("Telefono"), validators=[Length(max=40)])
    email = StringField(_l("Email"), validators=[Length(max=200)])
    pec = StringField(_l("PEC"), validators=[Length(max=200)])


class UserForm(FlaskForm):
    username = StringField(_l("Nome utente"), validators=[
        _required(), Length(min=2, max=80),
        Regexp(r"^[A-Za-z0-9._-]+$", message=_l("Solo lettere, cifre, punto e trattini."))])
    full_name = StringField(_l("Nome e cognome"), validators=[_required(), Length(max=200)])
    title = StringField(_l("Qualifica professionale"), validators=[Length(max=200)],
                        description=_l("Es. Assistente sociale, Educatore professionale."))
    role = SelectField(_l("Ruolo"), choices=options((r, r) for r in ROLES))
    office_id = SelectField(_l("Ufficio"), coerce=int)
    active = BooleanField(_l("Attivo"), default=True)


class PasswordForm(FlaskForm):
    password = PasswordField(_l("Nuova password"), validators=[
        _required(), Length(min=10, message=_l("Almeno 10 caratteri."))],
        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Ripeti la password"), validators=[
        EqualTo("password", message=_l("Le due password non coincidono."))],
        render_kw={"autocomplete": "new-password"})


class NewUserForm(UserForm, PasswordForm):
    pass


class OwnPasswordForm(PasswordForm):
    current = PasswordField(_l("Password attuale"), validators=[_required()],
                            render_kw={"autocomplete": "current-password"})


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that POST."""
