package app

import (
	"fmt"
	"log/slog"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers/dashboard"
	"github.com/waorder/waorder/mailer"
	"github.com/waorder/waorder/onboarding"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/sandbox"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/whatsapp"
)

// SandboxWABAID is the WhatsApp Business Account of the demo business sandbox mode creates.
const SandboxWABAID = "100000000000002"

// onboardingParts wires what lets a business onboard by itself: connecting numbers, templates, account health,
// sign-up and team. sb is the sandbox (nil outside sandbox mode): it then plays Meta's signup window and account
// webhooks.
func onboardingParts(cfg config.Config, store *repository.Store, box *secretbox.Box, c cache.Cache, graph *whatsapp.Client,
	sb *sandbox.Sandbox, log *slog.Logger) (*onboarding.Service, dashboard.SandboxMeta, dashboard.TeamOptions, error) {
	svc := &onboarding.Service{Graph: graph, Store: store, Box: box, Cache: c, AppID: cfg.MetaAppID, AppSecret: cfg.AppSecret, Log: log}
	team := dashboard.TeamOptions{SignUpOpen: cfg.SignUpMode() == config.SignUpOpen, PublicURL: cfg.PublicURL}
	m, err := mailer.New(cfg.SMTPURL, cfg.SMTPFrom)
	if err != nil {
		return nil, nil, team, fmt.Errorf("mailer: %w", err)
	}
	if m != nil {
		team.Mailer = m
	}
	if sb == nil {
		return svc, nil, team, nil
	}
	sb.KnowWABA(SandboxWABAID, SandboxMetaPhoneID)
	if svc.AppID == "" {
		svc.AppID = sandbox.AppID
	}
	if !cfg.Sandbox || cfg.MetaAppID != "" {
		return svc, nil, team, nil
	}
	return svc, sb, team, nil
}
