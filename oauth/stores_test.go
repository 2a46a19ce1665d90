package oauth

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestFlowsUseTheirStore holds each flow's files to the store interface
// the flow declares in stores.go: every store method they call, through
// the flow's store or the Server's, is one the interface lists, and every
// method the interface lists is called (so it stays "the few it uses").
func TestFlowsUseTheirStore(t *testing.T) {
	fset := token.NewFileSet()
	parse := func(name string) *ast.File {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	// The methods each interface in stores.go lists.
	declared := map[string][]string{}
	ast.Inspect(parse("stores.go"), func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		it, ok := ts.Type.(*ast.InterfaceType)
		if !ok {
			return true
		}
		declared[ts.Name.Name] = []string{}
		for _, m := range it.Methods.List {
			if len(m.Names) == 0 {
				t.Errorf("%s embeds %s: list the methods the flow uses instead", ts.Name.Name, types(m.Type))
			}
			for _, id := range m.Names {
				declared[ts.Name.Name] = append(declared[ts.Name.Name], id.Name)
			}
		}
		return false
	})
	flows := map[string][]string{
		"deviceStore":            {"device.go", "devicecode.go"},
		"otpStore":               {"otp*.go"},
		"authCodeStore":          {"authorize.go", "authcode.go", "par.go"},
		"refreshStore":           {"refresh.go"},
		"passwordStore":          {"password.go"},
		"jwtBearerStore":         {"assertion.go", "assertionjws.go"},
		"samlBearerStore":        {"saml*.go"},
		"clientCredentialsStore": {"clientcreds.go"},
		"registrationStore":      {"register*.go"},
	}
	for iface, globs := range flows {
		want, ok := declared[iface]
		if !ok {
			t.Errorf("stores.go declares no %s", iface)
			continue
		}
		var files []string
		for _, g := range globs {
			m, err := filepath.Glob(g)
			if err != nil || len(m) == 0 {
				t.Fatalf("%s: no files match %s", iface, g)
			}
			files = append(files, m...)
		}
		called := map[string]bool{}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			ast.Inspect(parse(name), func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "store" {
					called[sel.Sel.Name] = true
					if !slices.Contains(want, sel.Sel.Name) {
						t.Errorf("%s calls store.%s, which %s does not list", fset.Position(sel.Pos()), sel.Sel.Name, iface)
					}
				}
				return true
			})
		}
		var unused []string
		for _, m := range want {
			if !called[m] {
				unused = append(unused, m)
			}
		}
		sort.Strings(unused)
		if len(unused) > 0 {
			t.Errorf("%s lists %v, which %v never call", iface, unused, globs)
		}
	}
}

func types(e ast.Expr) string {
	if sel, ok := e.(*ast.SelectorExpr); ok {
		if x, ok := sel.X.(*ast.Ident); ok {
			return x.Name + "." + sel.Sel.Name
		}
	}
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return "an interface"
}
