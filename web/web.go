// Package web holds the dashboard's HTML templates and static assets (hand-written CSS, a little vanilla JS, an SVG
// icon), embedded in the binary so a deployment is one file with no CDN and no build step. It renders and serves
// nothing itself: handlers parse Templates and serve Static.
package web

import "embed"

// Templates holds templates/*.html: layout.html and partials.html are shared by every page; each other file is one
// page defining "title" and "content".
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds static/*, served under /static/ with long cache headers (URLs carry a version query).
//
//go:embed static/*
var Static embed.FS
