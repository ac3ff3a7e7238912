package formats

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// The workbook part of the XLSX reader: the zip, the workbook and its
// relationships (which sheet is where), and the styles that are dates.

// excelizeParts are the parts excelize needs to tell the cell styles.
var excelizeParts = []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}

// excelizeDateStyles opens the workbook's style parts with excelize, under
// the unzip limits, and returns for each cell style whether it formats
// numbers as dates or times. excelize is given a copy of the archive with
// only those parts (copied compressed): it reads every part it is given
// into memory or a temporary file, and the sheets, shared strings and
// images can be hundreds of MiB that only the streaming row reader should
// touch. excelize is closed (and its temporary files removed) before the
// rows are read.
func excelizeDateStyles(zr *zip.ReadCloser) (dates []bool, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("cannot open the workbook: it is damaged (%v)", v)
		}
	}()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range excelizeParts {
		zf := zipFile(zr, name)
		if zf == nil {
			continue
		}
		if zf.UncompressedSize64 > maxSmallPart {
			return nil, fmt.Errorf("the workbook part %s is larger than %d MiB; this is not a normal workbook", name, maxSmallPart>>20)
		}
		fh := zf.FileHeader
		fh.Name = name
		w, err := zw.CreateRaw(&fh)
		if err != nil {
			return nil, fmt.Errorf("cannot open the workbook: %v", err)
		}
		raw, err := zf.OpenRaw()
		if err != nil {
			return nil, fmt.Errorf("the workbook is damaged: %v", err)
		}
		if _, err := io.Copy(w, raw); err != nil {
			return nil, fmt.Errorf("the workbook is damaged: %v", err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("cannot open the workbook: %v", err)
	}
	f, err := excelize.OpenReader(&buf, excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: min(xlsxSpoolLimit, xlsxUnzipLimit)})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || errors.Is(err, excelize.ErrWorkbookPassword) {
			return nil, errors.New("the file is a password-protected workbook or an old .xls file; save it as .xlsx without a password")
		}
		return nil, fmt.Errorf("cannot open the workbook: %v", err)
	}
	defer f.Close()
	for i := 0; i < excelize.MaxCellStyles; i++ {
		st, err := f.GetStyle(i)
		if err != nil || st == nil {
			break
		}
		switch {
		case st.CustomNumFmt != nil:
			dates = append(dates, isDateFormat(*st.CustomNumFmt))
		default:
			dates = append(dates, isBuiltinDateFormat(st.NumFmt))
		}
	}
	return dates, nil
}

func isBuiltinDateFormat(id int) bool {
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58)
}

// isDateFormat reports whether a number format code shows a date or a
// time: it has y, m, d, h or s outside quoted text, [..] sections and
// escaped characters.
func isDateFormat(code string) bool {
	if i := strings.IndexByte(code, ';'); i >= 0 {
		code = code[:i] // the positive-number section decides
	}
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			j := strings.IndexByte(code[i+1:], '"')
			if j < 0 {
				return false
			}
			i += j + 1
		case '[':
			j := strings.IndexByte(code[i+1:], ']')
			if j < 0 {
				return false
			}
			i += j + 1
		case '\\', '_', '*':
			i++
		case 'y', 'Y', 'm', 'M', 'd', 'D', 'h', 'H', 's', 'S':
			return true
		}
	}
	return false
}

// The workbook structure, read from the zip directly (it is small).

type wbSheet struct {
	name, path string
	worksheet  bool
}

type workbookInfo struct {
	sheets   []wbSheet
	sst      string
	date1904 bool
}

type xmlRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Target string `xml:"Target,attr"`
		Type   string `xml:"Type,attr"`
	} `xml:"Relationship"`
}

type xmlWorkbook struct {
	Pr struct {
		Date1904 string `xml:"date1904,attr"`
	} `xml:"workbookPr"`
	Sheets []struct {
		Name  string     `xml:"name,attr"`
		Attrs []xml.Attr `xml:",any,attr"`
	} `xml:"sheets>sheet"`
}

const maxSmallPart = 16 << 20

func readWorkbook(zr *zip.ReadCloser) (*workbookInfo, error) {
	wbPath := "xl/workbook.xml"
	var root xmlRels
	if ok, err := readXMLPart(zr, "_rels/.rels", &root); err != nil {
		return nil, err
	} else if ok {
		for _, rel := range root.Rels {
			if strings.HasSuffix(rel.Type, "/officeDocument") {
				wbPath = strings.TrimPrefix(path.Clean("/"+rel.Target), "/")
			}
		}
	}
	var wb xmlWorkbook
	if ok, err := readXMLPart(zr, wbPath, &wb); err != nil {
		return nil, err
	} else if !ok {
		return nil, errors.New("the file is a zip archive but not an XLSX workbook (it has no workbook part); save it as .xlsx")
	}
	var rels xmlRels
	dir := path.Dir(wbPath)
	if _, err := readXMLPart(zr, path.Join(dir, "_rels", path.Base(wbPath)+".rels"), &rels); err != nil {
		return nil, err
	}
	target := func(t string) string {
		if strings.HasPrefix(t, "/") {
			return strings.TrimPrefix(path.Clean(t), "/")
		}
		return path.Join(dir, t)
	}
	info := &workbookInfo{date1904: wb.Pr.Date1904 == "1" || strings.EqualFold(wb.Pr.Date1904, "true")}
	byID := map[string]int{}
	for i, rel := range rels.Rels {
		byID[rel.ID] = i
		if strings.HasSuffix(rel.Type, "/sharedStrings") {
			info.sst = target(rel.Target)
		}
	}
	if info.sst == "" && zipFile(zr, path.Join(dir, "sharedStrings.xml")) != nil {
		info.sst = path.Join(dir, "sharedStrings.xml")
	}
	for _, s := range wb.Sheets {
		sh := wbSheet{name: s.Name}
		for _, a := range s.Attrs {
			if a.Name.Local != "id" {
				continue
			}
			if i, ok := byID[a.Value]; ok {
				sh.path = target(rels.Rels[i].Target)
				sh.worksheet = strings.HasSuffix(rels.Rels[i].Type, "/worksheet")
			}
		}
		info.sheets = append(info.sheets, sh)
	}
	return info, nil
}

// zipFile finds a part by name, ignoring case as Excel does.
func zipFile(zr *zip.ReadCloser, name string) *zip.File {
	var fold *zip.File
	for _, f := range zr.File {
		n := strings.ReplaceAll(f.Name, "\\", "/")
		if n == name {
			return f
		}
		if fold == nil && strings.EqualFold(n, name) {
			fold = f
		}
	}
	return fold
}

func readXMLPart(zr *zip.ReadCloser, name string, v any) (bool, error) {
	f := zipFile(zr, name)
	if f == nil {
		return false, nil
	}
	if f.UncompressedSize64 > maxSmallPart {
		return false, fmt.Errorf("the workbook part %s is larger than %d MiB; this is not a normal workbook", name, maxSmallPart>>20)
	}
	rc, err := f.Open()
	if err != nil {
		return false, fmt.Errorf("the workbook is damaged: %v", err)
	}
	defer rc.Close()
	if err := xml.NewDecoder(rc).Decode(v); err != nil {
		return false, fmt.Errorf("the workbook is damaged: %s: %v", name, err)
	}
	return true, nil
}
