package web_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/keypadauth/keypad/web"
)

// pagesOwnWrites are the store writes the pages may make themselves:
// their browser sessions and audit events. Every other write of flow
// state goes through web.Flows (package oauth).
var pagesOwnWrites = map[string]bool{
	"CreateSession": true, "UpdateSession": true, "DeleteSession": true,
	"AddAuditEvent": true,
}

// TestStoreIsReadOnly fails if web.Store gains a method that could write
// flow state: every method must read (Get…, List…) or be one of the
// pages' own writes above.
func TestStoreIsReadOnly(t *testing.T) {
	st := reflect.TypeFor[web.Store]()
	if st.NumMethod() == 0 {
		t.Fatal("web.Store has no methods; the check would prove nothing")
	}
	for i := range st.NumMethod() {
		name := st.Method(i).Name
		read := strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List")
		if !read && !pagesOwnWrites[name] {
			t.Errorf("web.Store has %s, which writes; flow state is oauth's: add a method to web.Flows (oauth.Actions) instead", name)
		}
	}
}

// TestPagesDoNotWidenTheStore fails if a page's source gets around
// web.Store: by naming keypad's full store or a flow's store interface
// (a type assertion would widen the read-only view), or by importing a
// store package.
func TestPagesDoNotWidenTheStore(t *testing.T) {
	allowed := map[string]bool{"SessionStore": true, "AuditStore": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if strings.HasPrefix(path, "github.com/keypadauth/keypad/store") {
				t.Errorf("%s imports %s: the pages reach the store only through web.Store", fset.Position(imp.Pos()), path)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			pkg, ok := sel.X.(*ast.Ident)
			if ok && pkg.Name == "keypad" && strings.HasSuffix(sel.Sel.Name, "Store") && !allowed[sel.Sel.Name] {
				t.Errorf("%s names keypad.%s: the pages see the store only as web.Store", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
	if checked < 5 {
		t.Fatalf("checked %d source files; run the test from the web package directory", checked)
	}
}
