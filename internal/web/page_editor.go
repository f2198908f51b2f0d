package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// The console's editors for leaders, pickup points, suppliers and
// products share one form shape: fields as typed, an error under every
// field at fault, in the operator's language. What the form alone can
// settle is checked before the domain is called, with the domain's own
// rules, so that every field at fault shows at once; the domain checks
// again on save, and what only it can tell (a phone already taken, a
// supplier that does not exist) shows under its field as before. (The deal editor came first
// and keeps its own, with the price history beside it.)

// editor is one console form, rendered by the "editorform" template.
type editor struct {
	Title, Action, Submit string
	Fields                []editorField
	Saved, Failed         bool
	Keyed                 bool // a form that creates: it carries a key, so that it acts once (onceForm)
}

// editorField is one input; Label and Error are already translated.
type editorField struct {
	Name, Label, Type, Value, Error string
	Options                         []option // for Type "select"
}

type option struct{ Value, Label string }

// formValues reads the posted fields, trimmed.
func formValues(r *http.Request, names ...string) map[string]string {
	v := map[string]string{}
	for _, n := range names {
		v[n] = strings.TrimSpace(r.PostFormValue(n))
	}
	return v
}

// fail puts the message rule under the field named field.
func (e *editor) fail(pg *page, field, rule string) {
	e.Failed = true
	for i := range e.Fields {
		if e.Fields[i].Name == field {
			e.Fields[i].Error = pg.T(rule)
		}
	}
}

// failed shows a validation error from the domain under its field, as
// message "rule.<kind>.<field>", and reports whether err was one; other
// errors are for the error page.
func (e *editor) failed(pg *page, kind string, err error) bool {
	field := fieldOf(err)
	switch {
	case field == "":
		return false
	case tuango.ErrorCode(err) == tuango.CodePhoneTaken:
		e.fail(pg, field, "rule."+kind+".phone_taken")
	case tuango.ErrorCode(err) == tuango.CodePasswordTooWeak:
		e.fail(pg, field, "rule.password_too_weak")
	default:
		e.fail(pg, field, "rule."+kind+"."+field)
	}
	return true
}

// refused puts each of errs, the domain's refusals of the form as typed,
// under its field as failed does, and reports whether the form failed.
func (e *editor) refused(pg *page, kind string, errs []error) bool {
	for _, err := range errs {
		e.failed(pg, kind, err)
	}
	return e.Failed
}

// fieldErrors is every field a domain check refuses, not only the first
// it stops at: after each refusal, accept[field] (the field named as the
// domain names it) puts a value the check takes in that field and the
// check runs again. It ends when the check passes, refuses something that
// is not a field, or refuses a field accept does not know or has already
// replaced.
func fieldErrors(check func() error, accept map[string]func()) []error {
	var errs []error
	for replaced := map[string]bool{}; ; {
		err := check()
		if fieldOf(err) == "" {
			return errs
		}
		field := err.(*tuango.Error).Field
		if replaced[field] {
			return errs
		}
		errs = append(errs, err)
		replace, ok := accept[field]
		if !ok {
			return errs
		}
		replace()
		replaced[field] = true
	}
}

// renderEditor answers with a console page holding one editor.
func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, pg *page, status int, e *editor) {
	pg.Title = e.Title
	pg.Data = e
	s.render(w, r, status, "admin/editor", pg)
}

// finishEdit answers an editor's save: a validation error under its
// field (400), another error as its page, success by sending the operator
// to the saved row's page at path.
func (s *Server) finishEdit(w http.ResponseWriter, r *http.Request, pg *page, e *editor, kind string, err error, path string) {
	switch {
	case e.failed(pg, kind, err):
		s.renderEditor(w, r, pg, http.StatusBadRequest, e)
	case err != nil:
		s.pageError(w, r, pg, err)
	default:
		afterSave(w, r, path)
	}
}

// afterSave sends the operator to the saved row's page.
func afterSave(w http.ResponseWriter, r *http.Request, path string) {
	http.Redirect(w, r, path+"?saved=1", http.StatusSeeOther)
}
