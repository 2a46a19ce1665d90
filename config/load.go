package config

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// Sources are the layers Load reads, lowest precedence first after the
// defaults.
type Sources struct {
	// File is a YAML file of settings; "" reads none. A missing named file
	// is an error.
	File string
	// LookupEnv reads the environment (os.LookupEnv in the binary, a map in
	// tests); nil reads none.
	LookupEnv func(string) (string, bool)
	// Flags are parsed command-line flags registered with AddFlags; only
	// flags given on the command line override. A flag of the same name
	// registered otherwise (`client create --access-ttl`, a client's own
	// lifetime) is not configuration and is ignored. nil reads none.
	Flags *pflag.FlagSet
}

// Load returns Default() overridden by the file, then the environment,
// then the flags, and validated. Errors name the key and where the bad
// value came from.
func Load(src Sources) (Config, error) {
	c := Default()
	if src.File != "" {
		if err := c.applyFile(src.File); err != nil {
			return c, err
		}
	}
	if src.LookupEnv != nil {
		if err := c.applyEnv(src.LookupEnv); err != nil {
			return c, err
		}
	}
	if src.Flags != nil {
		if err := c.applyFlags(src.Flags); err != nil {
			return c, err
		}
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("invalid configuration: %w", err)
	}
	return c, nil
}

// applyFile reads a YAML file of settings. Unknown keys are errors: a
// misspelt key silently ignored is a setting silently not applied.
func (c *Config) applyFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 { // empty file
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("config file %s:%d: expected a mapping of keys to values (addr: 127.0.0.1:8080)", path, root.Line)
	}
	var errs []error
	c.applyMapping(path, "", root, &errs)
	return joinErrors(errs)
}

// applyMapping applies one YAML mapping, recursing into sections with
// dotted prefixes.
func (c *Config) applyMapping(path, prefix string, m *yaml.Node, errs *[]error) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		name := prefix + kn.Value
		at := fmt.Sprintf("config file %s:%d: %s", path, kn.Line, name)
		if seen[name] {
			*errs = append(*errs, fmt.Errorf("%s: set twice", at))
			continue
		}
		seen[name] = true
		if vn.Kind == yaml.MappingNode && hasSection(name) {
			c.applyMapping(path, name+".", vn, errs)
			continue
		}
		k, ok := lookupKey(name)
		switch {
		case ok && k.EnvOnly:
			*errs = append(*errs, fmt.Errorf("%s: %s", at, envOnlyHint(k)))
			continue
		case !ok:
			*errs = append(*errs, fmt.Errorf("%s: unknown key (known keys: %s)", at, strings.Join(fileKeys(prefix), ", ")))
			continue
		}
		value, ok := scalarValue(k, vn)
		if !ok {
			*errs = append(*errs, fmt.Errorf("%s: expects a single value", at))
			continue
		}
		if err := c.set(k, value); err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", at, err))
		}
	}
}

// applyEnv reads KEYPAD_* variables. An empty variable counts as unset,
// as shells make "unset" hard to tell from "empty".
func (c *Config) applyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	for _, k := range Keys {
		v, ok := lookup(k.Env())
		if !ok || v == "" {
			continue
		}
		if err := c.set(k, v); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", k.Env(), k.Name, err))
		}
	}
	return joinErrors(errs)
}

// applyFlags applies the flags given on the command line.
func (c *Config) applyFlags(fs *pflag.FlagSet) error {
	var errs []error
	for _, k := range Keys {
		f := fs.Lookup(k.Flag())
		if k.EnvOnly || f == nil || !f.Changed || f.Annotations[flagAnnotation] == nil {
			continue
		}
		if err := c.set(k, f.Value.String()); err != nil {
			errs = append(errs, fmt.Errorf("--%s (%s): %w", k.Flag(), k.Name, err))
		}
	}
	return joinErrors(errs)
}

// set applies one key's text and remembers the text, so that Validate
// can quote a value as the person typed it (48h, not 2d).
func (c *Config) set(k Key, text string) error {
	if err := k.set(c, text); err != nil {
		return err
	}
	if c.typed == nil {
		c.typed = map[string]string{}
	}
	c.typed[k.Name] = strings.TrimSpace(text)
	return nil
}

// flagAnnotation marks the flags AddFlags registered, so that Load tells
// them from a command's own flags of the same name.
const flagAnnotation = "keypad-config-key"

// AddFlags registers a flag for each named key (all keys when none are
// named) on fs, so that Load can apply them. The secret has no flag.
func AddFlags(fs *pflag.FlagSet, names ...string) {
	for _, k := range Keys {
		if k.EnvOnly || (len(names) > 0 && !slices.Contains(names, k.Name)) {
			continue
		}
		help := fmt.Sprintf("%s (%s; default %s)", k.Help, k.Env(), k.Default)
		if k.Bool {
			fs.Bool(k.Flag(), false, help)
		} else {
			fs.String(k.Flag(), "", help)
		}
		_ = fs.SetAnnotation(k.Flag(), flagAnnotation, []string{k.Name}) // the flag was just added
	}
}

// joinErrors returns nil, the one error, or Errors.
func joinErrors(errs []error) error {
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return Errors(errs)
}

// hasSection reports whether some key lives under the section name.
func hasSection(name string) bool {
	return slices.ContainsFunc(Keys, func(k Key) bool { return strings.HasPrefix(k.Name, name+".") })
}

// scalarValue is a key's value as text: a scalar, or for a list key a
// sequence of scalars joined with commas.
func scalarValue(k Key, n *yaml.Node) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		return n.Value, true
	}
	if !k.List || n.Kind != yaml.SequenceNode {
		return "", false
	}
	items := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || item.Tag == "!!null" {
			return "", false
		}
		items = append(items, item.Value)
	}
	return strings.Join(items, ","), true
}

// envOnlyHint says where a secret found in a file of settings belongs.
func envOnlyHint(k Key) string {
	hint := fmt.Sprintf("is a secret and is read from %s only, never from a file of settings", k.Env())
	if _, ok := lookupKey(k.Name + "_file"); ok {
		hint += fmt.Sprintf("; or set %s_file to a file holding only the secret", k.Name)
	}
	return hint
}

// fileKeys lists the keys a file may set in the section prefix ("" for
// the top level, where sections are listed by name).
func fileKeys(prefix string) []string {
	var out []string
	for _, k := range Keys {
		name, ok := strings.CutPrefix(k.Name, prefix)
		if k.EnvOnly || !ok {
			continue
		}
		if section, _, nested := strings.Cut(name, "."); nested {
			name = section + ".*"
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
