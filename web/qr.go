package web

import (
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/qrcode"
)

// VerificationURIComplete is the link a device shows (and encodes in its
// QR code) so the person need not type the code: <issuer>/device?user_code=
// with the code in display form (RFC 8628 §3.3.1).
func (h *Handler) VerificationURIComplete(displayCode string) string {
	return h.issuer + oauth.PathDeviceVerification + "?user_code=" + url.QueryEscape(displayCode)
}

// deviceQR serves GET /device/qr?user_code=…: a QR code of
// verification_uri_complete, PNG unless the client prefers SVG (Accept)
// or asks for it (?format=svg). The code is checked against the alphabet
// only, never looked up, so this route tells a guesser nothing.
func (h *Handler) deviceQR(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code, err := h.cfg.UserCode.Normalize(q.Get("user_code"))
	if err != nil {
		http.Error(w, "not a valid code: use the code your device shows", http.StatusBadRequest)
		return
	}
	var svg bool
	switch q.Get("format") {
	case "svg":
		svg = true
	case "png":
	case "":
		svg = prefersSVG(r.Header.Values("Accept"))
	default:
		http.Error(w, "format must be png or svg", http.StatusBadRequest)
		return
	}
	text := h.VerificationURIComplete(h.cfg.UserCode.Format(code))
	var body []byte
	ctype := "image/png"
	if svg {
		body, err = qrcode.SVG(text)
		ctype = "image/svg+xml"
	} else {
		body, err = qrcode.PNG(text, h.cfg.QRScale)
	}
	if err != nil {
		h.log.ErrorContext(r.Context(), "web: draw qr code", "err", err)
		http.Error(w, "could not draw the QR code; type the code instead", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Header().Set("Vary", "Accept")
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// prefersSVG reports whether an Accept header ranks image/svg+xml above
// image/png. Ties go to SVG only when SVG is named and PNG is not, as
// browsers do for images; no Accept at all, or */*, means PNG.
func prefersSVG(accept []string) bool {
	qSVG, qPNG := -1.0, -1.0
	namedSVG, namedPNG := false, false
	for _, h := range accept {
		for part := range strings.SplitSeq(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			qv := 1.0
			if s, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(s, 64); err == nil {
					qv = f
				}
			}
			switch mt {
			case "image/svg+xml":
				qSVG, namedSVG = qv, true
			case "image/png":
				qPNG, namedPNG = qv, true
			case "image/*", "*/*":
				if !namedSVG && qv > qSVG {
					qSVG = qv
				}
				if !namedPNG && qv > qPNG {
					qPNG = qv
				}
			}
		}
	}
	if qSVG <= 0 {
		return false
	}
	return qSVG > qPNG || (qSVG == qPNG && namedSVG && !namedPNG)
}
