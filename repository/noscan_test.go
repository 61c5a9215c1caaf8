package repository_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// GORM's (*DB).Scan runs every statement through a recorder logger that renders the SQL with its values
// substituted, a regular expression per value, whether or not anything is logged: 6–8 % of the service's CPU in
// the benchmark's drain, most of it on the replies' and the webhook commit's multi-row inserts. Find reads rows the
// same way without it. database/sql's and pgx's Scan (rows.Scan, Row().Scan, QueryRow(…).Scan) are not GORM's and stay.
func TestRepository_ReadsRowsWithoutGormScan(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Scan" {
				return true
			}
			// A chain (db.Raw(…).Scan, db.Where(…).Scan) is GORM's; rows.Scan, Row().Scan and QueryRow(…).Scan are
			// database/sql's or pgx's.
			if inner, ok := sel.X.(*ast.CallExpr); ok {
				if name, ok := inner.Fun.(*ast.SelectorExpr); ok && name.Sel.Name != "Row" && name.Sel.Name != "QueryRow" {
					t.Errorf("%s: GORM's Scan renders the statement with its values on every call; use Find", fset.Position(call.Pos()))
				}
			}
			return true
		})
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: run from the package's folder", checked)
	}
}
