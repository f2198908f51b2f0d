package web

import (
	"net/http"
	"strings"

	"tuango/internal/tuango"
)

// The console's editors for leaders, pickup points, suppliers and
// products share one form shape: fields as typed, an error under the
// field at fault, in the operator's language. (The deal editor came first
// and keeps its own, with the price history beside it.)

// editor is one console form, rendered by the "editorform" template.
type editor struct {
	Title, Action, Submit string
	Fields                []editorField
	Saved, Failed         bool
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
