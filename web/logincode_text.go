package web

import (
	"time"

	"github.com/keypadauth/keypad/oauth"
)

// The words of sign-in with a code (their texts are the catalogue's,
// code.*). Each says what happened and what to do next; none tells
// whether the person typed someone keypad knows.
var (
	msgCodeOff = msg{
		Kind:    "error",
		Heading: t("code.off.heading"),
		Lines:   []text{t("code.off.line")},
		Action:  t("login.submit"), ActionPath: "/login",
	}
	msgCodeNoIdentifier = msg{
		Heading: t("code.noid.heading"),
		Lines:   []text{t("code.noid.line")},
	}
	msgCodeUnreadable = msg{
		Heading: t("code.unreadable.heading"),
		Lines:   []text{t("code.unreadable.line")},
	}
	msgCodeNoChannel = msg{
		Kind:    "error",
		Heading: t("code.nochannel.heading"),
		Lines:   []text{t("code.nochannel.line1"), t("code.nochannel.line2")},
		Action:  t("action.password"), ActionPath: "/login",
	}
	msgCodeSessionGone = msg{
		Kind:    "error",
		Heading: t("code.timeout.heading"),
		Lines:   []text{t("code.timeout.line"), t("code.start_again_line")},
		Action:  t("action.start_again"), ActionPath: "/login/code",
	}
	msgCodeChoose = msg{
		Heading: t("code.choose.heading"),
		Lines:   []text{t("code.choose.line")},
	}
	msgCodeSendsUsed = msg{
		Kind:    "error",
		Heading: t("code.sendsused.heading"),
		Lines:   []text{t("code.sendsused.line"), t("code.start_again_line")},
		Action:  t("action.start_again"), ActionPath: "/login/code",
	}
	msgCodeExpired = msg{
		Kind:    "error",
		Heading: t("code.expired.heading"),
		Lines:   []text{t("code.expired.line"), t("code.start_again_line")},
		Action:  t("action.new_signin_code"), ActionPath: "/login/code",
	}
	msgCodeTooManyWrong = msg{
		Kind:    "error",
		Heading: t("code.toomanywrong.heading"),
		Lines:   []text{t("code.toomanywrong.line"), t("code.start_again_line")},
		Action:  t("action.start_again"), ActionPath: "/login/code",
	}
	msgCodeEnded = msg{
		Kind:    "error",
		Heading: t("authorize.gone.heading"),
		Lines:   []text{t("code.ended.line"), t("code.start_again_line")},
		Action:  t("action.start_again"), ActionPath: "/login/code",
	}
)

func msgCodeTooFast(wait time.Duration) msg {
	return msg{
		Kind:    "error",
		Heading: t("toomany.heading"),
		Lines:   []text{t("code.toofast.line", "Wait", secondsText(wait))},
	}
}

// msgCodeAmbiguous asks for an identifier of type typ instead.
func msgCodeAmbiguous(typ string) msg {
	ask := t("code.ambiguous.ask", "What", t("identifier."+typ+".name"))
	if typ == "account" {
		ask = t("code.ambiguous.ask_account")
	}
	return msg{
		Heading: t("code.ambiguous.heading"),
		Lines:   []text{t("code.ambiguous.line"), ask},
	}
}

func msgCodeTooManyLookups(wait time.Duration) msg {
	return msg{
		Heading: t("toomany.heading"),
		Lines:   []text{t("code.lookups.line"), t("code.try_in", "Wait", secondsText(wait))},
	}
}

// msgCodeWait answers a send that came too soon, or past a daily cap.
func msgCodeWait(wait time.Duration, sentBefore bool) msg {
	m := msg{
		Heading: t("code.wait.heading"),
		Lines:   []text{t("code.wait.line", "Wait", secondsText(wait))},
	}
	if sentBefore {
		m.Lines = append(m.Lines, t("code.wait.arrived"))
	} else {
		m.Lines = append(m.Lines, t("code.wait.other"))
	}
	return m
}

// msgCodeNotSent answers a delivery that failed for now.
func msgCodeNotSent(ch oauth.OTPChannelHint, others bool) msg {
	m := msg{
		Heading: t("code.notsent.heading"),
		Lines:   []text{t("code.notsent.line", "To", sentTo(ch))},
	}
	if others {
		m.Lines = append(m.Lines, t("code.notsent.others"))
	} else {
		m.Lines = append(m.Lines, t("code.notsent.later"))
	}
	return m
}

// msgCodeUndeliverable answers a destination that will not work.
func msgCodeUndeliverable(ch oauth.OTPChannelHint, others bool) msg {
	m := msg{
		Heading: t("code.undeliverable.heading"),
		Lines:   []text{t("code.undeliverable.line", "To", sentTo(ch))},
	}
	if others {
		m.Lines = append(m.Lines, t("code.undeliverable.others"))
	} else {
		m.Lines = append(m.Lines, t("code.undeliverable.none"))
	}
	return m
}

func msgCodeCoolDown(wait time.Duration) msg {
	return msg{
		Kind:    "error",
		Heading: t("code.toomanywrong.heading"),
		Lines:   []text{t("code.cooldown.line1"), t("code.cooldown.line2", "Wait", secondsText(wait))},
		Action:  t("action.password"), ActionPath: "/login",
	}
}

func msgCodeShape(n int) msg {
	return msg{
		Heading: t("code.shape.heading", "Length", n),
		Lines:   []text{t("code.shape.line", "Length", n)},
	}
}

func msgCodeWrong(left int, resent bool) msg {
	first := t("code.wrong.check")
	if resent {
		first = t("code.wrong.newest")
	}
	return msg{Heading: t("code.wrong.heading"), Lines: []text{first, plural("code.wrong.left", left)}}
}
