package web

import (
	"net/http"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// The page languages: Simplified Chinese by default, English on request.
var (
	langZH = language.SimplifiedChinese
	langEN = language.English
)

const langCookie = "tuango_lang"

// catalogue holds every user-visible string of the pages, in both
// languages, keyed by a stable message id (see messages.go).
var catalogue = buildCatalogue()

func buildCatalogue() *catalog.Builder {
	b := catalog.NewBuilder(catalog.Fallback(langZH))
	for _, m := range messages {
		if err := b.SetString(langZH, m.key, m.zh); err != nil {
			panic("message " + m.key + ": " + err.Error())
		}
		if err := b.SetString(langEN, m.key, m.en); err != nil {
			panic("message " + m.key + ": " + err.Error())
		}
	}
	return b
}

// pageLang picks the page language: ?lang= switches it and is remembered
// in a cookie; otherwise the cookie; otherwise Chinese.
func (s *Server) pageLang(w http.ResponseWriter, r *http.Request) language.Tag {
	switch r.URL.Query().Get("lang") {
	case "en":
		s.setLangCookie(w, "en")
		return langEN
	case "zh", "zh-CN":
		s.setLangCookie(w, "zh")
		return langZH
	}
	if c, err := r.Cookie(langCookie); err == nil && c.Value == "en" {
		return langEN
	}
	return langZH
}

func (s *Server) setLangCookie(w http.ResponseWriter, v string) {
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: v, Path: "/", MaxAge: 365 * 24 * 3600,
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// newPrinter returns a printer of the catalogue for one request (a
// Printer is not safe for concurrent use).
func newPrinter(t language.Tag) *message.Printer {
	return message.NewPrinter(t, message.Catalog(catalogue))
}
