package formats

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMapHeader(t *testing.T) {
	tests := []struct {
		name        string
		header      []string
		opts        MapOptions
		wantColumns []Field
		wantIgnored []string
		wantErr     string
	}{
		{
			name:        "canonical names",
			header:      []string{"id", "firstName", "lastName", "name", "email", "phone", "status", "type", "value", "autoPayment", "notes", "action"},
			wantColumns: []Field{FieldID, FieldFirstName, FieldLastName, FieldName, FieldEmail, FieldPhone, FieldStatus, FieldType, FieldValue, FieldAutoPayment, FieldNotes, FieldAction},
		},
		{
			name:        "aliases ignoring case, spaces, _ - .",
			header:      []string{"_id", "First Name", "SURNAME", "Full_Name", "E-mail", "mobile.phone", "Customer Status", "customer-type", "Auto Payment", "Comments"},
			wantColumns: []Field{FieldID, FieldFirstName, FieldLastName, FieldName, FieldEmail, FieldPhone, FieldStatus, FieldType, FieldAutoPayment, FieldNotes},
		},
		{
			name:        "more aliases",
			header:      []string{"given name", "family name", "contact name", "email address", "tel", "autopay", "note"},
			wantColumns: []Field{FieldFirstName, FieldLastName, FieldName, FieldEmail, FieldPhone, FieldAutoPayment, FieldNotes},
		},
		{
			name:        "read-only and report columns are ignored",
			header:      []string{"_row", "_result", "_customer_id", "_http_status", "_error", "_changes", "id", "email", "createdAt", "Updated At"},
			wantColumns: []Field{"", "", "", "", "", "", FieldID, FieldEmail, "", ""},
		},
		{
			name:    "Customer Id is not id",
			header:  []string{"Customer Id", "email"},
			wantErr: `"Customer Id".`,
		},
		{
			name:        "--map renames and ignores",
			header:      []string{"Lifetime Value", "E-mail Address", "Customer Since", "Phone 1"},
			opts:        MapOptions{Map: map[string]string{"Lifetime Value": "value", "customer since": "-", "Phone 1": "Phone"}},
			wantColumns: []Field{FieldValue, FieldEmail, "", FieldPhone},
		},
		{
			name:        "--map overrides an alias",
			header:      []string{"name", "notes"},
			opts:        MapOptions{Map: map[string]string{"notes": "-"}},
			wantColumns: []Field{FieldName, ""},
		},
		{
			name:    "--map names a missing column",
			header:  []string{"name"},
			opts:    MapOptions{Map: map[string]string{"Phone 9": "phone"}},
			wantErr: `--map names the column "Phone 9", which the file does not have; its columns are "name"`,
		},
		{
			name:    "--map target is not a field",
			header:  []string{"name", "Phone 1"},
			opts:    MapOptions{Map: map[string]string{"Phone 1": "fax"}},
			wantErr: `"fax" is not a customer field; use one of id, firstName, lastName, name, email, phone, status, type, value, autoPayment, notes, action`,
		},
		{
			name:        "--ignore-unknown",
			header:      []string{"name", "Company", "", "Website"},
			opts:        MapOptions{IgnoreUnknown: true},
			wantColumns: []Field{FieldName, "", "", ""},
			wantIgnored: []string{"column 3 (no header)", "Company", "Website"},
		},
		{
			name:    "duplicate names ignoring case",
			header:  []string{"name", "email", "Email"},
			wantErr: `columns 2 ("email") and 3 ("Email") have the same name; rename or remove one of them`,
		},
		{
			name:    "two columns for one field",
			header:  []string{"First Name", "given name", "email"},
			wantErr: `columns 1 ("First Name") and 2 ("given name") both map to firstName; remove one of them, or ignore one with --map "given name=-"`,
		},
		{
			name:    "--map onto a mapped field",
			header:  []string{"phone", "Phone 1"},
			opts:    MapOptions{Map: map[string]string{"Phone 1": "phone"}},
			wantErr: "both map to phone",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := MapHeader(tt.header, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Columns, tt.wantColumns) {
				t.Errorf("Columns = %q, want %q", m.Columns, tt.wantColumns)
			}
			if !reflect.DeepEqual(m.Ignored, tt.wantIgnored) {
				t.Errorf("Ignored = %q, want %q", m.Ignored, tt.wantIgnored)
			}
			for f, i := range m.Index {
				if m.Columns[i] != f {
					t.Errorf("Index[%s] = %d but Columns[%d] = %s", f, i, i, m.Columns[i])
				}
			}
		})
	}
}

func TestHeaderErrorMessage(t *testing.T) {
	_, err := MapHeader([]string{"name", "Phone 1", "Company", "Website", `Say "hi"`, "emial"}, MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HeaderError", err)
	}
	want := `the file has 5 columns that match no customer field: "Phone 1" (closest: phone), "Company", "Website", "Say \"hi\"", "emial" (closest: email).` + "\n" +
		`Map them with --map "Phone 1=phone" --map "emial=email", ignore them with --map "Company=-" --map "Website=-" --map 'Say "hi"=-', or ignore all of them with --ignore-unknown.`
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
	wantCols := []UnknownColumn{
		{Index: 1, Name: "Phone 1", Closest: FieldPhone, Suggest: "Phone 1=phone"},
		{Index: 2, Name: "Company", Suggest: "Company=-"},
		{Index: 3, Name: "Website", Suggest: "Website=-"},
		{Index: 4, Name: `Say "hi"`, Suggest: `Say "hi"=-`},
		{Index: 5, Name: "emial", Closest: FieldEmail, Suggest: "emial=email"},
	}
	if !reflect.DeepEqual(he.Unknown, wantCols) {
		t.Errorf("Unknown = %+v\nwant %+v", he.Unknown, wantCols)
	}
}

func TestCustomers100Mapping(t *testing.T) {
	r, err := OpenReader("testdata/customers-100.csv", ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = MapHeader(r.Header(), MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HeaderError", err)
	}
	var names []string
	for _, u := range he.Unknown {
		names = append(names, u.Name)
	}
	want := []string{"Index", "Customer Id", "Company", "City", "Country", "Phone 1", "Phone 2", "Subscription Date", "Website"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("unknown columns = %q, want %q", names, want)
	}
	if !strings.Contains(err.Error(), `--map "Phone 1=phone"`) || !strings.Contains(err.Error(), `--map "Phone 2=-"`) {
		t.Errorf("message lacks the fix: %v", err)
	}

	m, err := MapHeader(r.Header(), MapOptions{Map: map[string]string{"Phone 1": "phone"}, IgnoreUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	wantIndex := map[Field]int{FieldFirstName: 2, FieldLastName: 3, FieldPhone: 7, FieldEmail: 9}
	if !reflect.DeepEqual(m.Index, wantIndex) {
		t.Errorf("Index = %v, want %v", m.Index, wantIndex)
	}
	if m.Has(FieldID) {
		t.Error("Customer Id was taken as id")
	}
	rows := readAll(t, r)
	if len(rows) != 100 {
		t.Fatalf("got %d rows", len(rows))
	}
	if got := m.Cell(rows[0].Cells, FieldPhone); got != "229.077.5154" {
		t.Errorf("phone of row 2 = %q", got)
	}
}

func TestCanonicalField(t *testing.T) {
	tests := []struct {
		name   string
		want   Field
		wantOK bool
	}{
		{name: "email", want: FieldEmail, wantOK: true},
		{name: "E-Mail", want: FieldEmail, wantOK: true},
		{name: "autoPayment", want: FieldAutoPayment, wantOK: true},
		{name: "_id", want: FieldID, wantOK: true},
		{name: "createdAt"},
		{name: "Customer Id"},
		{name: "_row"},
		{name: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CanonicalField(tt.name)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("CanonicalField(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestMapHeaderFixtures(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string
	}{
		{file: "duplicate-header.csv", wantErr: `columns 2 ("email") and 3 ("Email") have the same name`},
		{file: "duplicate-field.csv", wantErr: "both map to firstName"},
		{file: "unknown-header.csv", wantErr: `"Phone 1" (closest: phone), "Company", "Website"`},
		{file: "report-columns.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := OpenReader("testdata/"+tt.file, ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, err = MapHeader(r.Header(), MapOptions{})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
