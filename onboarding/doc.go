// Package onboarding is a business's WhatsApp account seen from our side: connecting a number (Embedded Signup or
// a pasted token, the same checked steps, resumable where one failed), disconnecting it, its message templates,
// its health as Meta's account webhooks report it, the daily token check, and the WhatsApp business profile.
//
// It calls Meta only through package whatsapp and stores only through package repository; it serves no HTTP and
// renders nothing.
package onboarding
