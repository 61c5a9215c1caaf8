package ordering

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Button and list-row ids carry everything their tap needs, so a tap on an old message (Meta retries replies for
// hours; customers scroll back) does what the button said whatever the conversation's state:
//
//	p:<retailer>                 pick a product (asks how many)
//	q:<retailer>:<n>:<tag>       add n of a product; tag names the question, so a second tap adds nothing more
//	page:<n>                     a page of the menu
//	clear:<sig> / cancel:<sig>   empty the cart, only if it still has the lines that message showed
//	confirm:<sig>                place exactly the order that message showed (lines, handing over, address, note)
//	note                         add a note to the order being confirmed
//	co:<order id>                the customer cancels a placed order; keep answers its question
//
// A tap whose sig is not the current cart's touches nothing and shows the cart as it is now.

// appliedTags bounds the quantity taps remembered as done.
const appliedTags = 20

type tap struct {
	kind     string // p, q, page, clear, cancel, confirm, co, or a bare id (checkout, more, delivery, pickup, back)
	retailer string
	n        int
	tag      string
	sig      string
	order    int64
}

// parseTap reads a button or row id; ok is false for an id we never send.
func parseTap(id string) (tap, bool) {
	kind, rest, _ := strings.Cut(id, ":")
	switch kind {
	case "p":
		return tap{kind: kind, retailer: rest}, rest != ""
	case "q":
		parts := strings.Split(rest, ":")
		if len(parts) == 1 { // "q:<n>" from messages sent before ids carried the product
			n, err := strconv.Atoi(parts[0])
			return tap{kind: kind, n: n}, err == nil
		}
		if len(parts) != 3 || parts[0] == "" {
			return tap{}, false
		}
		n, err := strconv.Atoi(parts[1])
		return tap{kind: kind, retailer: parts[0], n: n, tag: parts[2]}, err == nil
	case "page":
		n, err := strconv.Atoi(rest)
		return tap{kind: kind, n: n}, err == nil && n >= 0
	case "clear", "cancel", "confirm":
		return tap{kind: kind, sig: rest}, true // an empty sig: a message sent before ids carried one
	case "co":
		n, err := strconv.ParseInt(rest, 10, 64)
		return tap{kind: kind, order: n}, err == nil && n > 0
	case "checkout", "more", "delivery", "pickup", "back", "note", "keep":
		return tap{kind: kind}, rest == ""
	}
	return tap{}, false
}

func quantityID(retailer string, n int, tag string) string {
	return fmt.Sprintf("q:%s:%d:%s", retailer, n, tag)
}

// questionTag names the message a reply belongs to: a digest of the inbound message that caused it.
func questionTag(wamid string) string {
	h := sha256.Sum256([]byte(wamid))
	return hex.EncodeToString(h[:4])
}

// cartSig is a digest of a cart's lines: what a cart message's Clear button empties.
func cartSig(st State) string {
	h := sha256.New()
	for _, l := range st.Cart {
		fmt.Fprintf(h, "%s\x00%d\x00", l.RetailerID, l.Quantity)
	}
	return hex.EncodeToString(h.Sum(nil)[:5])
}

// orderSig is a digest of everything a confirm message showed: the lines, the way of handing over, the address
// and the note.
func orderSig(st State) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s|%s|%s", cartSig(st), st.Fulfillment, st.Address, st.Note)
	return hex.EncodeToString(h.Sum(nil)[:5])
}

// applied reports whether the quantity question tag was answered already, and remembers it.
func (s *State) applied(tag string) bool {
	for _, t := range s.Applied {
		if t == tag {
			return true
		}
	}
	s.Applied = append(s.Applied, tag)
	if len(s.Applied) > appliedTags {
		s.Applied = s.Applied[len(s.Applied)-appliedTags:]
	}
	return false
}
