package customer

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"aivabatch/formats"
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
			wantErr: `map names the column "Phone 9", which the file does not have; its columns are "name"`,
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
			wantErr: `columns 1 ("First Name") and 2 ("given name") both hold firstName. Take the first that is not blank, in this order, with map "First Name,given name=firstName"`,
		},
		{
			name:    "--map onto a mapped field",
			header:  []string{"phone", "Phone 1"},
			opts:    MapOptions{Map: map[string]string{"Phone 1": "phone"}},
			wantErr: `columns 2 ("Phone 1") and 1 ("phone") both hold phone. Take the first that is not blank, in this order, with map "Phone 1,phone=phone"`,
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

// TestHeaderProblemsInOneMessage: two columns for one field, unknown
// columns and a missing email come in one message, each with its fix,
// and a last line gives every flag together; following it maps the
// header.
func TestHeaderProblemsInOneMessage(t *testing.T) {
	header := []string{"Vorname", "Nachname", "Telefon", "Handy", "Kundennr."}
	sample := [][]string{{"Jürgen", "Größer", "+49 89 1234567", ""}, {"Ole", "Sørensen", "", "0171 2345678"}, {"Ann", "Bauer", "", "0171 1"}}
	_, err := mapHeader(header, sample, MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HeaderError", err)
	}
	want := `columns 3 ("Telefon") and 4 ("Handy") both hold phone: of the first 3 rows, 1 has a value only in "Telefon" and 2 only in "Handy". ` +
		`Take the first that is not blank, in this order, with map "Telefon,Handy=phone" (list them the other way round to prefer "Handy"); the report's _changes says which column a value came from.` + "\n" +
		`the file has 1 column that matches no customer field: "Kundennr.".` + "\n" +
		`No column has an obvious match: map one with map "Column=field" (fields: id, firstName, lastName, name, email, phone, status, type, value, autoPayment, notes, action), ignore it with map "Kundennr.=-", or ignore all of them with ignore unknown.` + "\n" +
		`No column holds email, which a new customer (and match email) needs; if a column holds it under another name, map it with map "Column=email".` + "\n" +
		`All together: map "Telefon,Handy=phone" ignore unknown`
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
	m, err := mapHeader(header, sample, MapOptions{Map: map[string]string{"Telefon,Handy": "phone"}, IgnoreUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cells []string
		want  string
	}{{sample[0], "+49 89 1234567"}, {sample[1], "0171 2345678"}, {[]string{"", "", " ", "x"}, "x"}, {[]string{"", "", "", ""}, ""}} {
		if got := cellOf(m, tc.cells, FieldPhone); got != tc.want {
			t.Errorf("phone of %q = %q, want %q", tc.cells, got, tc.want)
		}
	}
	if m.Index[FieldFirstName] != 0 || m.Index[FieldLastName] != 1 {
		t.Errorf("Vorname, Nachname not first and last name: %v", m.Index)
	}
}

// TestMapListErrors: a --map list names columns the file has, each once;
// two --map flags for one field say to list them in one.
func TestMapListErrors(t *testing.T) {
	header := []string{"Phone", "Mobile", "email", "A,B"}
	for _, tc := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"Phone,Fax": "phone"}, `map names the column "Fax", which the file does not have`},
		{map[string]string{"Phone,,Mobile": "phone"}, `the list of columns has an empty name`},
		{map[string]string{"Phone,phone": "phone", "Mobile": "-"}, `names the column "Phone" twice`},
		{map[string]string{"Phone": "phone", "Mobile": "phone"}, `map gives phone more than one column ("Mobile", "Phone"); to take the first of them that is not blank, list them in one flag: map "Mobile,Phone=phone"`},
	} {
		if _, err := MapHeader(header, MapOptions{Map: tc.m}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--map %v: err = %v, want %q", tc.m, err, tc.want)
		}
	}
	// A column whose name has a comma is still found by its name.
	m, err := MapHeader(header, MapOptions{Map: map[string]string{"A,B": "notes", "Mobile,Phone": "phone"}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Index[FieldNotes] != 3 || m.Index[FieldPhone] != 1 || !reflect.DeepEqual(m.Alternates[FieldPhone], []int{0}) {
		t.Errorf("index %v alternates %v", m.Index, m.Alternates)
	}
}

// TestLocalHeaders: the header names of German, French, Spanish,
// Portuguese, Italian and Dutch exports, with and without accents; "Nom",
// "Nombre" and "Nome" by the columns beside them.
func TestLocalHeaders(t *testing.T) {
	for _, tc := range []struct {
		header []string
		want   []Field
	}{
		{[]string{"Vorname", "Nachname", "E-Mail", "Telefon", "Status", "Notizen"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldStatus, FieldNotes}},
		{[]string{"Prénom", "Nom", "Courriel", "Téléphone", "Statut", "Remarques"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldStatus, FieldNotes}},
		{[]string{"Prenom", "Nom", "Adresse e-mail", "Portable"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone}},
		{[]string{"Nom", "Courriel"}, []Field{FieldName, FieldEmail}},
		{[]string{"Nombre", "Apellidos", "Correo electrónico", "Móvil", "Notas"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldNotes}},
		{[]string{"Nombre", "Correo electronico", "Teléfono"}, []Field{FieldName, FieldEmail, FieldPhone}},
		{[]string{"Nome", "Sobrenome", "E-mail", "Telefone", "Observações"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldNotes}},
		{[]string{"Nome", "Cognome", "Posta elettronica", "Cellulare", "Note"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldNotes}},
		{[]string{"Nome completo", "Email", "Telemóvel"}, []Field{FieldName, FieldEmail, FieldPhone}},
		{[]string{"Voornaam", "Achternaam", "E-mailadres", "Telefoonnummer", "Opmerkingen"}, []Field{FieldFirstName, FieldLastName, FieldEmail, FieldPhone, FieldNotes}},
		{[]string{"Naam", "Mobiel", "e-mail"}, []Field{FieldName, FieldPhone, FieldEmail}},
		{[]string{"Name", "Handy", "E-Mail-Adresse", "Bemerkung"}, []Field{FieldName, FieldPhone, FieldEmail, FieldNotes}},
	} {
		m, err := MapHeader(tc.header, MapOptions{})
		if err != nil {
			t.Errorf("%q: %v", tc.header, err)
			continue
		}
		if !reflect.DeepEqual(m.Columns, tc.want) {
			t.Errorf("%q mapped to %q, want %q", tc.header, m.Columns, tc.want)
		}
	}
}

// TestNeverOfferedAsName: a nickname, a first name and other partial or
// other names are never suggested as name, and with first and last name
// columns no column is.
func TestNeverOfferedAsName(t *testing.T) {
	for _, tc := range []struct {
		header []string
		rows   [][]string
	}{
		{[]string{"email", "Nickname"}, [][]string{{"a@example.com", "Ken"}}},
		{[]string{"email", "Preferred Name"}, [][]string{{"a@example.com", "Ken"}}},
		{[]string{"email", "User Name"}, [][]string{{"a@example.com", "kenji"}}},
		{[]string{"email", "Display Handle"}, [][]string{{"a@example.com", "kenji"}}},
		{[]string{"email", "Alias Name"}, [][]string{{"a@example.com", "Ken"}}},
		{[]string{"email", "First-Name"}, [][]string{{"a@example.com", "Kenji"}}},
		{[]string{"email", "Kunde Vorname"}, [][]string{{"a@example.com", "Kenji"}}},
		{[]string{"email", "First Name", "Last Name", "*ContactName"}, [][]string{{"a@example.com", "Kenji", "W", "Acme"}}},
	} {
		_, err := mapHeader(tc.header, tc.rows, MapOptions{})
		for _, h := range tc.header {
			if err != nil && strings.Contains(err.Error(), shellQuote(h+"=name")) {
				t.Errorf("%q offered as name:\n%v", h, err)
			}
		}
	}
}

func TestHeaderErrorMessage(t *testing.T) {
	_, err := mapHeader([]string{"name", "Phone 1", "Company", "Website", `Say "hi"`, "emial"},
		[][]string{{"Ana", "+1 555 0100", "Acme", "acme.example", "hi", "ana@example.com"}}, MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HeaderError", err)
	}
	want := `the file has 5 columns that match no customer field: "Phone 1" (closest: phone), "Company", "Website", "Say \"hi\"", "emial" (closest: email).` + "\n" +
		`Map them with map "Phone 1=phone" map "emial=email", ignore them with map "Company=-" map "Website=-" map 'Say "hi"=-', or ignore all of them with ignore unknown.` + "\n" +
		`All together: map "Phone 1=phone" map "emial=email" ignore unknown`
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
	open := func() formats.RowReader {
		r, err := formats.OpenReader("../../formats/testdata/customers-100.csv", formats.ReaderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	_, _, err := MapReader(open(), MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v, want a *HeaderError", err)
	}
	var names []string
	for _, u := range he.Unknown {
		names = append(names, u.Name)
	}
	want := []string{"Index", "Customer Id", "Company", "City", "Country", "Subscription Date", "Website"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("unknown columns = %q, want %q", names, want)
	}
	// Two phone columns: never one of them dropped.
	if !strings.Contains(err.Error(), `map "Phone 1,Phone 2=phone"`) || strings.Contains(err.Error(), `map "Phone 2=-"`) {
		t.Errorf("message lacks the fix: %v", err)
	}

	m, r, err := MapReader(open(), MapOptions{Map: map[string]string{"Phone 1": "phone"}, IgnoreUnknown: true})
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
	if got := cellOf(m, rows[0].Cells, FieldPhone); got != "229.077.5154" {
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
		{file: "duplicate-field.csv", wantErr: "both hold firstName"},
		{file: "unknown-header.csv", wantErr: `"Phone 1", "Company", "Website".`}, // "1" is no phone
		{file: "report-columns.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := formats.OpenReader("../../formats/testdata/"+tt.file, formats.ReaderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			_, _, err = MapReader(r, MapOptions{})
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

// TestSuggestionsFitContent: a --map is suggested only when the column's
// first cells fit the field, whatever its name is close to.
func TestSuggestionsFitContent(t *testing.T) {
	tests := []struct {
		name        string
		header      []string
		rows        [][]string
		wantSuggest map[string]string // column -> Suggest
	}{
		{name: "Google Contacts: the email is in the Value column, Photo is no phone",
			header:      []string{"Name", "Photo", "E-mail 1 - Type", "E-mail 1 - Value"},
			rows:        [][]string{{"Richard Feynman", "", "* ", "rich@caltech.edu"}, {"", "", "* ", "x@gmail.com"}},
			wantSuggest: map[string]string{"Photo": "Photo=-", "E-mail 1 - Type": "E-mail 1 - Type=-", "E-mail 1 - Value": "E-mail 1 - Value=email"}},
		{name: "Salesforce: a company column is never name",
			header:      []string{"Email", "Account Name"},
			rows:        [][]string{{"a@example.com", "Acme Inc."}, {"b@example.com", "Globex"}},
			wantSuggest: map[string]string{"Account Name": "Account Name=-"}},
		{name: "HubSpot: Lead Status values are not statuses",
			header:      []string{"Email", "Lead Status"},
			rows:        [][]string{{"a@example.com", "In Progress"}, {"b@example.com", "Open Deal"}, {"c@example.com", ""}},
			wantSuggest: map[string]string{"Lead Status": "Lead Status=-"}},
		{name: "a status column of statuses is suggested",
			header:      []string{"Email", "Account Status"},
			rows:        [][]string{{"a@example.com", "Active"}, {"b@example.com", "blocked"}},
			wantSuggest: map[string]string{"Account Status": "Account Status=status"}},
		{name: "Thai CRM: a column of dates is never lastName",
			header:      []string{"Email", "Last Use"},
			rows:        [][]string{{"a@example.com", "2024-03-01"}, {"b@example.com", "15/2/2567"}},
			wantSuggest: map[string]string{"Last Use": "Last Use=-"}},
		{name: "a last-name column of names is suggested",
			header:      []string{"Email", "Legal Surname"},
			rows:        [][]string{{"a@example.com", "Silva"}, {"b@example.com", "Ñúñez"}},
			wantSuggest: map[string]string{"Legal Surname": "Legal Surname=lastName"}},
		{name: "phones with extensions and a stray cell",
			header: []string{"Email", "Phone 1", "Phone 2"},
			rows: [][]string{{"a@example.com", "229.077.5154", "397.884.0519x718"}, {"b@example.com", "-1199", "+1-539-402-0259"},
				{"c@example.com", "(496)978-3969x58947", ""}, {"d@example.com", "001-808-617-6467x12895", ""}, {"e@example.com", "5153435776", ""}},
			wantSuggest: map[string]string{"Phone 1,Phone 2": "Phone 1,Phone 2=phone"}},
		{name: "a blank column gets no suggestion",
			header:      []string{"Email", "Mobile Phone 2"},
			rows:        [][]string{{"a@example.com", ""}},
			wantSuggest: map[string]string{"Mobile Phone 2": "Mobile Phone 2=-"}},
		{name: "no value makes another system's key our id",
			header:      []string{"Email", "Record ID"},
			rows:        [][]string{{"a@example.com", "7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e"}},
			wantSuggest: map[string]string{"Record ID": "Record ID=-"}},
		{name: "Customer Id of another system is not id",
			header:      []string{"Email", "Customer Id"},
			rows:        [][]string{{"a@example.com", "DD37Cf93aecA6Dc"}},
			wantSuggest: map[string]string{"Customer Id": "Customer Id=-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapHeader(tt.header, tt.rows, MapOptions{})
			if len(tt.wantSuggest) == 0 {
				if err != nil {
					t.Fatalf("err = %v, want the header mapped", err)
				}
				return
			}
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want a *HeaderError", err)
			}
			got := map[string]string{}
			for _, u := range he.Unknown {
				got[u.Name] = u.Suggest
			}
			for _, c := range he.Conflicts {
				got[strings.Join(c.Names, ",")] = c.Suggest
			}
			if !reflect.DeepEqual(got, tt.wantSuggest) {
				t.Errorf("suggestions = %q, want %q\n%v", got, tt.wantSuggest, err)
			}
		})
	}
}

// TestForeignIDAndAction: a column named id is the id whatever its values
// look like (ids are opaque: only the tenant can tell, at import); a
// column named action is taken only when its values are this tool's
// actions.
func TestForeignIDAndAction(t *testing.T) {
	const apiID = "65f0a1b2c3d4e5f6a7b8c9d0"
	tests := []struct {
		name      string
		header    []string
		rows      [][]string
		opts      MapOptions
		wantIndex map[Field]int
		wantErr   []string
	}{
		{name: "Outlook's Action is another system's, its ID is taken by name",
			header:  []string{"Action", "ID", "Name", "E-mail Address"},
			rows:    [][]string{{"add", "", "Adam", "adam@example.com"}, {"delete", "241a444f0b330b22", "Daniel", "d@example.com"}, {"update", "527fbda08922b018", "Duncan", "e@example.com"}},
			wantErr: []string{`1 column that matches no customer field: "Action" (values such as "add" are not actions`, `map "Action=-"`}},
		{name: "ids of any shape",
			header:    []string{"ID", "email"},
			rows:      [][]string{{"7f5f2d2f-6c7c-4f49-b6d4-7445319f3b8e", ""}, {"100042", ""}, {"cus_9s6XKzkN", ""}, {"241a444f0b330b22", ""}},
			wantIndex: map[Field]int{FieldID: 0, FieldEmail: 1}},
		{name: "this API's ids and actions are taken",
			header:    []string{"Action", "ID", "Name", "E-mail Address"},
			rows:      [][]string{{"delete", apiID, "", ""}, {"", "", "Ann", "ann@example.com"}, {"UPDATE", "65f0a1b2c3d4e5f6a7b8c9d1", "", ""}},
			wantIndex: map[Field]int{FieldAction: 0, FieldID: 1, FieldName: 2, FieldEmail: 3}},
		{name: "one mistyped id does not make the column foreign",
			header:    []string{"id", "email"},
			rows:      [][]string{{apiID, ""}, {"65f0a1b2c3d4e5f6a7b8c9d1", ""}, {"nope", ""}},
			wantIndex: map[Field]int{FieldID: 0, FieldEmail: 1}},
		{name: "--map forces a foreign id",
			header:    []string{"ID", "email"},
			rows:      [][]string{{"241a444f0b330b22", "a@example.com"}},
			opts:      MapOptions{Map: map[string]string{"ID": "id"}},
			wantIndex: map[Field]int{FieldID: 0, FieldEmail: 1}},
		{name: "a blank id column is ours",
			header:    []string{"_id", "email"},
			rows:      [][]string{{"", "a@example.com"}},
			wantIndex: map[Field]int{FieldID: 0, FieldEmail: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapHeader(tt.header, tt.rows, tt.opts)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("mapped as %v, want an error", m.Index)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nlacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m.Index, tt.wantIndex) {
				t.Errorf("Index = %v, want %v", m.Index, tt.wantIndex)
			}
		})
	}
}

// TestMapReaderGivesBackPeekedRows: the rows MapReader looks at are still
// read, in order, with nothing lost or doubled.
func TestMapReaderGivesBackPeekedRows(t *testing.T) {
	for _, n := range []int{0, 1, PeekRows, PeekRows + 1, 3 * PeekRows} {
		var b strings.Builder
		b.WriteString("name,email\n")
		for i := range n {
			fmt.Fprintf(&b, "N%d,n%d@example.com\n", i, i)
		}
		r, err := formats.NewReader(strings.NewReader(b.String()), formats.ReaderOptions{Format: formats.FormatCSV})
		if err != nil {
			t.Fatal(err)
		}
		_, r, err = MapReader(r, MapOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := readAll(t, r)
		if len(rows) != n {
			t.Fatalf("%d rows: read %d", n, len(rows))
		}
		for i, row := range rows {
			if row.Num != i+2 || row.Cells[0] != fmt.Sprintf("N%d", i) {
				t.Fatalf("%d rows: row %d = %d %q", n, i, row.Num, row.Cells)
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Errorf("after the last row: %v, want io.EOF", err)
		}
		r.Close()
	}
}

// TestHeaderMessages: headers that are data, huge, or have names that
// cannot be typed get a message that says so and a fix that works.
func TestHeaderMessages(t *testing.T) {
	wide := make([]string, 100000)
	for i := range wide {
		wide[i] = fmt.Sprintf("Column %d", i+1)
	}
	tests := []struct {
		name    string
		header  []string
		want    []string
		notWant []string
	}{
		{name: "a data row is no header",
			header:  []string{"Richard Feynman", "Richard", "", "Feynman", "* ", "rich@caltech.edu"},
			want:    []string{`the header row holds data, not column names ("rich@caltech.edu" is an email address)`, "for example name,email,phone"},
			notWant: []string{"map "}},
		{name: "a data row with repeated cells is no header, not duplicate names",
			header:  []string{"1", "DD37Cf93aecA6Dc", "Sheryl", "Baxter", "yes", "2020-08-24", "yes"},
			want:    []string{`("1" is a number, "2020-08-24" is a date)`},
			notWant: []string{"same name"}},
		{name: "100,000 columns: the first 20 are listed",
			header:  wide,
			want:    []string{`"Column 20" and 99980 more.`, `ignore one with map "Column=-" (100000 are unknown)`, "ignore unknown"},
			notWant: []string{`"Column 21"`, `map "Column 1=-"`}},
		{name: "control characters are shown escaped and never offered to --map",
			header:  []string{"name", "email", "a\x00b", "tab\there", "x=y", "Fine"},
			want:    []string{`"a\x00b"`, `"tab\there"`, `Columns 3 ("a\x00b"), 4 ("tab\there"), 5 ("x=y") have names that map cannot be given`, "rename them in the file, or use ignore unknown", `map "Fine=-"`},
			notWant: []string{"\x00", "\t", `map "x=y`}},
		{name: "a very long name is cut",
			header:  []string{"name", "email", strings.Repeat("é", 5000)},
			want:    []string{`"` + strings.Repeat("é", 60) + `"…`, "has a name", "over 200 bytes"},
			notWant: []string{strings.Repeat("é", 61)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mapHeader(tt.header, nil, MapOptions{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if len(msg) > 8<<10 {
				t.Errorf("message is %d bytes", len(msg))
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(msg, w) {
					t.Errorf("message has %q:\n%s", w, msg)
				}
			}
		})
	}
}

// TestMapSuggestionsWork: every --map flag a message suggests, given
// back, maps that column.
func TestMapSuggestionsWork(t *testing.T) {
	header := []string{"name", "Phone 1", "E-Mail", "e mail 2", `Say "hi"`, "it's", "Ünïcode"}
	rows := [][]string{{"Ann", "+1 555 0100", "", "b@example.com", "hi", "x", "y"}}
	_, err := mapHeader(header, rows, MapOptions{})
	var he *HeaderError
	if !errors.As(err, &he) {
		t.Fatalf("err = %v", err)
	}
	for _, u := range he.Unknown {
		src, dst, _ := strings.Cut(u.Suggest, "=")
		m, err := mapHeader(header, rows, MapOptions{Map: map[string]string{src: dst}, IgnoreUnknown: true})
		if err != nil {
			t.Errorf("--map %q: %v", u.Suggest, err)
			continue
		}
		if dst != "-" && m.Columns[u.Index] != Field(dst) {
			t.Errorf("--map %q maps column %d to %q", u.Suggest, u.Index, m.Columns[u.Index])
		}
	}
}

func TestUnnamedColumnNotice(t *testing.T) {
	var notices []string
	m, err := MapHeader([]string{"name", "", "email", ""}, MapOptions{Warn: func(s string) { notices = append(notices, s) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"columns 2, 4 have no name in the header, so their cells are ignored; name them in the header to import them"}
	if !reflect.DeepEqual(notices, want) {
		t.Errorf("notices = %q, want %q", notices, want)
	}
	if m.Columns[1] != "" || m.Index[FieldEmail] != 2 {
		t.Errorf("Columns = %q", m.Columns)
	}
}

// TestHeaderErrorClosestHeld: an unknown column close to a field that
// another column holds is named with that column and the flags that take
// it instead (a second action column), or how to take both (a name with
// a comma cannot be listed in --map "A,B=field"); following the flags of
// the first maps the header.
func TestHeaderErrorClosestHeld(t *testing.T) {
	header := []string{"name", "email", "action", "Aktion2", "notes", "Notes, old", "emial2"}
	sample := [][]string{{"Ana", "ana@example.com", "create", "update", "n", "old note", "x"}}
	_, err := mapHeader(header, sample, MapOptions{})
	want := `the file has 3 columns that match no customer field: "Aktion2" (closest: action), "Notes, old" (closest: notes), "emial2".` + "\n" +
		`"Aktion2" is closest to action, which column "action" holds already: to read action from "Aktion2" instead, give map "Aktion2=action" map "action=-". ` +
		`"Notes, old" is closest to notes, which column "notes" holds already: to take the first non-blank of both, rename "Notes, old" in the file without the comma (in map "A,B=notes" a comma separates the columns) and list both in one map. ` +
		`Otherwise ignore them with map "Aktion2=-" map "Notes, old=-" map "emial2=-", or ignore all unknown columns with ignore unknown.`
	if err == nil || err.Error() != want {
		t.Errorf("message:\n%v\nwant:\n%s", err, want)
	}
	m, err := mapHeader(header, sample, MapOptions{Map: map[string]string{"Aktion2": "action", "action": "-"}, IgnoreUnknown: true})
	if err != nil {
		t.Fatalf("following the flags: %v", err)
	}
	if i, ok := m.Index[FieldAction]; !ok || header[i] != "Aktion2" {
		t.Errorf("action is read from %v, want Aktion2", m.Index)
	}
}

// TestConflictNoneOnly: when no row of the sample has a value in one
// column only, the conflict says what the rows do show (both filled,
// alike or not; no value at all) instead of "none have a value only in
// A and none only in B", and still offers the --map list.
func TestConflictNoneOnly(t *testing.T) {
	header := []string{"name", "email", "Phone", "Mobile"}
	tests := []struct {
		name   string
		sample [][]string
		want   string
	}{
		{"all filled, different", [][]string{{"A", "a@x", "1", "2"}, {"B", "b@x", "3", "4"}},
			`columns 3 ("Phone") and 4 ("Mobile") both hold phone: both are filled in each of the first 2 rows, with different values in each. Take the first that is not blank, in this order, with map "Phone,Mobile=phone"`},
		{"all filled, alike", [][]string{{"A", "a@x", "1", " 1"}},
			`both hold phone: both are filled in the first row, with the same value in each. Take the first`},
		{"some rows", [][]string{{"A", "a@x", "1", "1"}, {"B", "b@x", "", ""}, {"C", "c@x", "2", "3"}},
			`both hold phone: of the first 3 rows, the 2 with a value in either have one in both, with different values in 1 of them. Take the first`},
		{"no values", [][]string{{"A", "a@x", "", ""}, {"B", "b@x", "", ""}},
			`both hold phone: the first 2 rows have no value in either. Take the first`},
		{"one only", [][]string{{"A", "a@x", "1", ""}, {"B", "b@x", "2", "3"}},
			`both hold phone: of the first 2 rows, 1 has a value only in "Phone" and none only in "Mobile". Take the first`},
	}
	for _, tt := range tests {
		_, err := mapHeader(header, tt.sample, MapOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: message\n%v\nlacks\n%s", tt.name, err, tt.want)
		}
	}
	three := []string{"name", "email", "Phone", "Mobile", "Telefon"}
	_, err := mapHeader(three, [][]string{{"A", "a@x", "1", "2", "2"}}, MapOptions{})
	if want := `all hold phone: of the first 1 row, none has a value in only one of them, with different values in each.`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("three columns: message\n%v\nlacks\n%s", err, want)
	}
}

// TestXLSXLibreOfficeMapping maps the header of a workbook LibreOffice
// wrote (formats' TestXLSXLibreOffice reads its cells).
func TestXLSXLibreOfficeMapping(t *testing.T) {
	r, err := formats.OpenReader("../../formats/testdata/crm-export-libreoffice.xlsx", formats.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m, err := MapHeader(r.Header(), MapOptions{Map: map[string]string{"Lifetime Value": "value", "Customer Since": "-"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Field{FieldName, FieldEmail, FieldPhone, FieldStatus, FieldType, FieldValue, FieldAutoPayment, FieldNotes} {
		if !m.Has(f) {
			t.Errorf("%s not mapped", f)
		}
	}
}

// readAll reads every row of r.
func readAll(t *testing.T, r formats.RowReader) []formats.Row {
	t.Helper()
	var rows []formats.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
}

// cellOf returns the cell of field f in cells (with Alternates, the
// first that is not blank), or "" when the field is not mapped or the row
// is short: what the row validator reads (rules.go, v.alt).
func cellOf(m *Mapping, cells []string, f Field) string {
	for _, i := range m.columnsOf(f) {
		if i < len(cells) && strings.TrimSpace(cells[i]) != "" {
			return cells[i]
		}
	}
	return ""
}
