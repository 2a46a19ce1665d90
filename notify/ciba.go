package notify

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// CIBAData is what a backchannel authentication request (CIBA) tells the
// person: who asks (ClientName), what for (ScopeDescriptions), the
// binding message the client shows too, and the link to the approval
// page. Without the first two, a link to approve is a phishing tool.
type CIBAData struct {
	ClientName        string
	ScopeDescriptions []string
	// BindingMessage is shown on the client's screen as well, so the
	// person can tell their request from someone else's; may be empty.
	BindingMessage string
	// Link opens the approval page; it carries the request's single-use
	// token.
	Link      string
	ExpiresIn time.Duration
	// ExpiresAt is when the link dies, said in the emails; optional.
	ExpiresAt time.Time
	// Language is the BCP 47 tag to write in; empty means the default.
	Language string
}

func (d CIBAData) validate() error {
	switch {
	case strings.IndexFunc(d.ClientName, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0:
		return errors.New("notify: ciba message needs the client's name")
	case !strings.HasPrefix(d.Link, "https://") && !strings.HasPrefix(d.Link, "http://"):
		return errors.New("notify: ciba message needs the approval link")
	case d.ExpiresIn < time.Second:
		return errors.New("notify: ciba expiry must be at least a second")
	}
	return nil
}

// CIBAMessage renders d with the built-in templates (see
// Templates.CIBAMessage).
func CIBAMessage(channel, to string, d CIBAData) (Message, error) {
	return DefaultTemplates().CIBAMessage(channel, to, d)
}

// CIBAMessage renders the approval request in d's language for channel
// and addresses it to to. The SMS fits one segment the way an OTP text
// does (Templates.SMS): the optional words go first, then scopes after
// the first, then the client's name and the first scope are cut with
// "..."; the link, the binding message and the expiry always remain.
func (t *Templates) CIBAMessage(channel, to string, d CIBAData) (Message, error) {
	if err := d.validate(); err != nil {
		return Message{}, err
	}
	l := t.lang(d.Language)
	data := TemplateData{
		ExpiresIn: l.words.duration(d.ExpiresIn), ExpiresAt: l.words.clock(d.ExpiresAt, t.loc),
		Link: d.Link, Binding: cleanText(d.BindingMessage), Language: l.tag.String(),
	}
	switch channel {
	case ChannelSMS:
		data.Binding = cleanText(ToGSM7(d.BindingMessage))
		text, err := l.fitSMS(l.text[FileCIBASMS], data, d.ClientName, d.ScopeDescriptions)
		if err != nil {
			return Message{}, fmt.Errorf("notify: the ciba text does not fit one SMS segment even shortened (the link is %d characters long): use a shorter issuer URL: %w", len(d.Link), err)
		}
		return Message{Channel: channel, To: to, Text: text, Language: data.Language}, nil
	case ChannelEmail:
		data.Client = cleanText(d.ClientName)
		data.Scopes = cleanScopes(d.ScopeDescriptions, l.words)
		data.ScopeText = l.words.scopeText(data.Scopes, 0)
		subject, text, html, err := l.email(FileCIBAEmailSubject, FileCIBAEmailText, FileCIBAEmailHTML, data)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Subject: subject, Text: text, HTML: html, Language: data.Language}, nil
	}
	return Message{}, fmt.Errorf("notify: unknown channel %q: want %q or %q", channel, ChannelSMS, ChannelEmail)
}

// validateCIBA renders a sample and the worst case of a language's CIBA
// templates.
func (t *Templates) validateCIBA(lang string) error {
	d := CIBAData{
		ClientName: sampleClient, ScopeDescriptions: []string{sampleScope}, BindingMessage: "4821",
		Link: sampleLink, ExpiresIn: 10 * time.Minute, Language: lang,
	}
	for _, ch := range []string{ChannelSMS, ChannelEmail} {
		m, err := t.CIBAMessage(ch, "", d)
		if err != nil {
			return err
		}
		for _, w := range []string{d.ClientName, d.Link, "4821", "energy usage history"} {
			if !strings.Contains(m.Text, w) || ch == ChannelEmail && !strings.Contains(m.HTML, w) {
				return fmt.Errorf("the ciba %s templates leave out %q: they must show who asks ({{.Client}}), what for ({{.ScopeText}}), the binding message ({{.Binding}}) and the link ({{.Link}})", ch, w)
			}
		}
	}
	long := worstCIBA()
	long.Language = lang
	_, err := t.CIBAMessage(ChannelSMS, "", long)
	return err
}

// worstCIBA is the longest a CIBA text's values get (see worstOTP), with a
// binding message at its longest and ten scopes.
func worstCIBA() CIBAData {
	o := worstOTP("token")
	return CIBAData{
		ClientName: o.ClientName, ScopeDescriptions: o.ScopeDescriptions[:10],
		BindingMessage: strings.Repeat("W", 20), Link: sampleLink, ExpiresIn: time.Hour,
	}
}
