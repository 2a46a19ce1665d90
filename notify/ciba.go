package notify

import (
	"errors"
	"fmt"
	htmltemplate "html/template"
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
}

// smsSegment is one GSM-7 SMS segment, in septets.
const smsSegment = 160

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

// CIBAMessage renders the approval request for channel and addresses it
// to to. The SMS fits one GSM-7 segment: when it would not, the optional
// words go, then scopes after the first ("and N more permissions"), then
// the first scope and the client's name are cut with "..."; the link,
// the binding message and the expiry always remain.
func CIBAMessage(channel, to string, d CIBAData) (Message, error) {
	if err := d.validate(); err != nil {
		return Message{}, err
	}
	switch channel {
	case ChannelSMS:
		text, err := cibaSMS(d)
		if err != nil {
			return Message{}, err
		}
		return Message{Channel: channel, To: to, Text: text}, nil
	case ChannelEmail:
		return cibaEmail(to, d)
	}
	return Message{}, fmt.Errorf("notify: unknown channel %q: want %q or %q", channel, ChannelSMS, ChannelEmail)
}

func cibaSMS(d CIBAData) (string, error) {
	client := cleanText(ToGSM7(d.ClientName))
	scopes := cleanScopes(func() []string {
		out := make([]string, len(d.ScopeDescriptions))
		for i, s := range d.ScopeDescriptions {
			out[i] = ToGSM7(s)
		}
		return out
	}())
	binding := cleanText(ToGSM7(d.BindingMessage))
	render := func(client, scopeWords string, short bool) string {
		var b strings.Builder
		b.WriteString(client + " asks to " + scopeWords + ".")
		if binding != "" {
			b.WriteString(" Code " + binding + ".")
		}
		b.WriteString(" Approve or deny: " + d.Link)
		if !short {
			b.WriteString(" (" + humanDuration(d.ExpiresIn) + "; not you? ignore this)")
		}
		return b.String()
	}
	overflow := func(s string) int {
		n, ok := GSM7Length(s)
		if !ok {
			return smsSegment // cannot happen: every part is GSM-7
		}
		return n - smsSegment
	}
	full := scopeText(scopes, 0)
	if s := render(client, full, false); overflow(s) <= 0 {
		return s, nil
	}
	if s := render(client, full, true); overflow(s) <= 0 {
		return s, nil
	}
	first, more := scopes[0], len(scopes)-1
	s := render(client, scopeText([]string{first}, more), true)
	// Cut the first scope, then the client's name, by what is too much,
	// never below a width that still says something.
	if o := overflow(s); o > 0 {
		first = truncateTo(first, max(16, stringWidth(first, septetWidth)-o), septetWidth)
		s = render(client, scopeText([]string{first}, more), true)
	}
	if o := overflow(s); o > 0 {
		client = truncateTo(client, max(12, stringWidth(client, septetWidth)-o), septetWidth)
		s = render(client, scopeText([]string{first}, more), true)
	}
	if overflow(s) <= 0 {
		return s, nil
	}
	return "", fmt.Errorf("notify: the ciba text does not fit one SMS segment even shortened (the link %d characters long leaves no room); use a shorter issuer URL", len(d.Link))
}

var cibaHTML = htmltemplate.Must(htmltemplate.New("ciba").Parse(`<!doctype html>
<html><body style="font-family:sans-serif">
<p><strong>{{.Client}}</strong> asks to {{.Scopes}}.</p>
{{if .Binding}}<p>Check that it shows this code: <strong>{{.Binding}}</strong></p>{{end}}
<p><a href="{{.Link}}">Review and approve or deny</a> within {{.Expires}}.</p>
<p>Didn't ask? Ignore this email: nothing is approved unless you press Approve.</p>
</body></html>`))

func cibaEmail(to string, d CIBAData) (Message, error) {
	client := cleanText(d.ClientName)
	scopes := scopeText(cleanScopes(d.ScopeDescriptions), 0)
	binding := cleanText(d.BindingMessage)
	expires := humanDuration(d.ExpiresIn)
	subject := truncateTo(client+" asks for your approval", 200, func(rune) int { return 1 })
	var text strings.Builder
	fmt.Fprintf(&text, "%s asks to %s.\n\n", client, scopes)
	if binding != "" {
		fmt.Fprintf(&text, "Check that it shows this code: %s\n\n", binding)
	}
	fmt.Fprintf(&text, "Review and approve or deny within %s:\n%s\n\n", expires, d.Link)
	text.WriteString("Didn't ask? Ignore this email: nothing is approved unless you press Approve.\n")
	var html strings.Builder
	err := cibaHTML.Execute(&html, map[string]string{
		"Client": client, "Scopes": scopes, "Binding": binding, "Link": d.Link, "Expires": expires,
	})
	if err != nil {
		return Message{}, fmt.Errorf("notify: ciba email: %w", err)
	}
	return Message{Channel: ChannelEmail, To: to, Subject: subject, Text: text.String(), HTML: html.String()}, nil
}
