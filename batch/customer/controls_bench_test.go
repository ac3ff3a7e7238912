package customer

import (
	"testing"

	"aivabatch/formats"
)

var withSource = true

func BenchmarkCheckFieldsControls(b *testing.B) {
	header := []string{"id", "First Name", "Last Name", "Email", "Phone", "Status", "Type", "Value", "Auto Payment", "Notes"}
	m, err := MapHeader(header, MapOptions{})
	if err != nil {
		b.Fatal(err)
	}
	row := formats.Row{Num: 2, Cells: []string{"", "Zoë", "Müller", "zoe.muller.0000001@example.com", "+1 555 0000001", "blocked", "reseller", "123.45", "yes", "Signed up through the web form; newsletter opt-in, standard terms"}}
	var vm ValueMaps
	for _, s := range []string{"status:blocked=inactive", "type:reseller=partner", "autoPayment:yes=true", "autoPayment:no=false", "firstName:Zoë=Zoe", "lastName:Müller=Mueller"} {
		f, from, to, _ := ParseValue(s)
		vm.Set(f, from, to)
	}
	r, err := ParseRules(map[string]any{
		"required": []any{"phone", "email"},
		"type":     map[string]any{"allowed": []any{"individual", "business", "partner", "reseller"}},
		"status":   map[string]any{"allowed": []any{"active", "inactive", "blocked"}},
		"value":    map[string]any{"min": int64(0), "max": int64(1000000)},
		"email":    map[string]any{"pattern": `@example\.com$`},
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts ValidatorOptions
	}{{"plain", ValidatorOptions{}}, {"maps", ValidatorOptions{Values: vm}}, {"rules", ValidatorOptions{Rules: r}}, {"both", ValidatorOptions{Values: vm, Rules: r}}} {
		b.Run(c.name, func(b *testing.B) {
			v := NewValidator(m, c.opts)
			defer v.Close()
			b.ReportAllocs()
			for b.Loop() {
				rec := v.CheckFields(row)
				if !rec.Valid() {
					b.Fatal(rec.ErrorText())
				}
				if withSource {
					_ = rec.Source()
				}
			}
		})
	}
}
