package web

import (
	"fmt"
	"time"

	"github.com/keypadauth/keypad/oauth"
)

// The words of sign-in with a code. Each says what happened and what to
// do next; none tells whether the person typed someone keypad knows.
var (
	msgCodeOff = msg{
		Kind:    "error",
		Heading: "Signing in with a code is not available here",
		Lines:   []string{"Sign in with your username and password instead."},
		Action:  "Sign in", ActionPath: "/login",
	}
	msgCodeNoIdentifier = msg{
		Heading: "Tell us who you are",
		Lines:   []string{"Enter your email address, phone number, service address or account number."},
	}
	msgCodeUnreadable = msg{
		Heading: "Check what you typed",
		Lines:   []string{"We could not read that. Enter an email address, a phone number, a service address or an account number."},
	}
	msgCodeNoChannel = msg{
		Kind:    "error",
		Heading: "We cannot send you a code",
		Lines: []string{
			"We have no phone number or email address on file that we can send a code to.",
			"Sign in with your username and password instead, or contact us to add one.",
		},
		Action: "Sign in with a password", ActionPath: "/login",
	}
	msgCodeSessionGone = msg{
		Kind:    "error",
		Heading: "Your sign-in has timed out",
		Lines: []string{
			"For your safety, each step of signing in expires after a while. Nothing was changed.",
			"Start again to get a new code.",
		},
		Action: "Start again", ActionPath: "/login/code",
	}
	msgCodeChoose = msg{
		Heading: "Choose where to send your code",
		Lines:   []string{"Pick one of the ways below."},
	}
	msgCodeSendsUsed = msg{
		Kind:    "error",
		Heading: "That is as many codes as one sign-in gets",
		Lines: []string{
			"For your safety, we send only a few codes for each sign-in. Nothing was signed in.",
			"Start again to get a new code.",
		},
		Action: "Start again", ActionPath: "/login/code",
	}
	msgCodeExpired = msg{
		Kind:    "error",
		Heading: "Your code has expired",
		Lines: []string{
			"Codes work for a few minutes only. Nothing was signed in.",
			"Start again to get a new code.",
		},
		Action: "Get a new code", ActionPath: "/login/code",
	}
	msgCodeTooManyWrong = msg{
		Kind:    "error",
		Heading: "Too many wrong codes",
		Lines: []string{
			"For your safety, that code no longer works. Nothing was signed in.",
			"Start again to get a new code.",
		},
		Action: "Start again", ActionPath: "/login/code",
	}
	msgCodeEnded = msg{
		Kind:    "error",
		Heading: "This sign-in has ended",
		Lines: []string{
			"The code was already used, or this sign-in was replaced by a newer one. Nothing was signed in.",
			"Start again to get a new code.",
		},
		Action: "Start again", ActionPath: "/login/code",
	}
)

func msgCodeTooFast(wait time.Duration) msg {
	return msg{
		Kind:    "error",
		Heading: "Too many attempts",
		Lines:   []string{fmt.Sprintf("Please wait %s, then go back and try again.", seconds(wait))},
	}
}

func msgCodeAmbiguous(ask string) msg {
	m := msg{
		Heading: "More than one account matches",
		Lines: []string{
			"Several accounts match what you typed, so we cannot tell which one is yours.",
			"Enter your " + ask + " instead.",
		},
	}
	if ask == "account number" {
		m.Lines[1] += " It is printed on your bill."
	}
	return m
}

func msgCodeTooManyLookups(wait time.Duration) msg {
	return msg{
		Heading: "Too many attempts",
		Lines: []string{
			"For your safety, we limit how often codes can be asked for from one network.",
			fmt.Sprintf("Please try again in %s.", seconds(wait)),
		},
	}
}

// msgCodeWait answers a send that came too soon, or past a daily cap.
func msgCodeWait(wait time.Duration, sentBefore bool) msg {
	m := msg{
		Heading: "Please wait before asking for another code",
		Lines:   []string{fmt.Sprintf("For your safety, we limit how often we send codes. You can ask for another in %s.", seconds(wait))},
	}
	if sentBefore {
		m.Lines = append(m.Lines, "If a code we sent earlier has arrived, type it below.")
	} else {
		m.Lines = append(m.Lines, "Or choose another way below.")
	}
	return m
}

// msgCodeNotSent answers a delivery that failed for now.
func msgCodeNotSent(ch oauth.OTPChannelHint, others bool) msg {
	m := msg{
		Heading: "We could not send your code",
		Lines:   []string{"Sending it " + sentTo(ch) + " did not work just now. Nothing was used up."},
	}
	if others {
		m.Lines = append(m.Lines, "Try again, or choose another way below.")
	} else {
		m.Lines = append(m.Lines, "Please try again in a minute.")
	}
	return m
}

// msgCodeUndeliverable answers a destination that will not work.
func msgCodeUndeliverable(ch oauth.OTPChannelHint, others bool) msg {
	m := msg{
		Heading: "We cannot send a code there",
		Lines:   []string{"We cannot send a code " + sentTo(ch) + "."},
	}
	if others {
		m.Lines = append(m.Lines, "Choose another way below.")
	} else {
		m.Lines = append(m.Lines, "Sign in with your username and password instead, or contact us to update your details.")
	}
	return m
}

func msgCodeCoolDown(wait time.Duration) msg {
	return msg{
		Kind:    "error",
		Heading: "Too many wrong codes",
		Lines: []string{
			"For your safety, signing in with a code is paused for this account. Nothing was signed in.",
			fmt.Sprintf("Please try again in %s, or sign in with your password.", seconds(wait)),
		},
		Action: "Sign in with a password", ActionPath: "/login",
	}
}

func msgCodeShape(n int) msg {
	return msg{
		Heading: fmt.Sprintf("Enter the %d-digit code", n),
		Lines:   []string{fmt.Sprintf("The code is the %d digits in the message we sent you. That try did not count.", n)},
	}
}

func msgCodeWrong(left int, resent bool) msg {
	first := "Check the message and type the code again."
	if resent {
		first = "Check the newest message and type its code: only the newest code works."
	}
	tries := fmt.Sprintf("You have %d tries left.", left)
	if left == 1 {
		tries = "You have 1 try left. After that, you will need to start again."
	}
	return msg{Heading: "That code is not right", Lines: []string{first, tries}}
}
