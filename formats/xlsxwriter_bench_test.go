package formats

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// go test ./formats/ -run '^$' -bench 'XLSXWriter$' -benchtime 1x [-args -xlsxrows 200000 -xlsxbaseline=false]
var (
	benchXLSXRows     = flag.Int("xlsxrows", 1<<20, "rows for BenchmarkXLSXWriter (default Excel's 1,048,576)")
	benchXLSXBaseline = flag.Bool("xlsxbaseline", true, "also time excelize's StreamWriter with its defaults in BenchmarkXLSXWriter")
)

// exportHeader and exportTypes are the export's 13 default columns.
var (
	exportHeader = []string{"id", "firstName", "lastName", "name", "email", "phone", "status", "type", "value", "autoPayment", "notes", "createdAt", "updatedAt"}
	exportTypes  = []ColumnType{ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnText, ColumnNumber, ColumnBool, ColumnText, ColumnTime, ColumnTime}
)

// customerPool builds n varied customer rows, as the export renders them.
func customerPool(n int) [][]string {
	first := []string{"Ada", "Chloé", "José", "Zoë", "Li", "Patrick", "Olivia", "Noah", "Émile", "Hana", "Mateo", "Sofia", "Liam", "Amélie", "Yusuf", "Grace", "Ivan", "Maya", "Oskar", "Nina"}
	last := []string{"Lovelace", "Dubois", "Álvarez", "Müller", "Wei", "O'Brien", "Smith", "Johnson", "Nakamura", "Rossi", "Kowalski", "García", "Brown", "Nguyen", "Andersson", "Dupont", "Silva", "Kim", "Novak", "Haddad"}
	notes := []string{"", "", "", "VIP since 2019", "Referred by \"Ana\"", "prefers email, not calls", "Net 30 & invoiced <quarterly>", "line one\nline two", "Enterprise account — renewal in Q3", ""}
	status := []string{"active", "active", "active", "inactive", "blocked"}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)
	pool := make([][]string, n)
	for i := range pool {
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		created := base.Add(time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour))))
		updated := created.Add(time.Duration(rng.Int64N(int64(400 * 24 * time.Hour))))
		createdText := created.Format(time.RFC3339)
		if i%3 == 0 {
			createdText = created.Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z07:00")
		}
		value := fmt.Sprintf("%d.%02d", rng.IntN(20000), rng.IntN(100))
		if i%7 == 0 {
			value = ""
		}
		typ := "individual"
		if i%4 == 0 {
			typ = "business"
		}
		pool[i] = []string{
			fmt.Sprintf("6650f1c2a9e4%012x", rng.Uint64()>>16),
			f, l, f + " " + l,
			strings.ToLower(strings.ReplaceAll(f+"."+l, "'", "")) + strconv.Itoa(rng.IntN(10000)) + "@example.com",
			fmt.Sprintf("+1 (555) %03d-%04d", rng.IntN(1000), rng.IntN(10000)),
			status[rng.IntN(len(status))], typ, value, strconv.FormatBool(rng.IntN(2) == 0),
			notes[rng.IntN(len(notes))], createdText, updated.Format(time.RFC3339),
		}
	}
	return pool
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heapPeak samples the in-use heap.
type heapPeak struct{ max uint64 }

func (h *heapPeak) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h.max = max(h.max, m.HeapInuse)
}

// vmHWM returns the process's peak resident set in bytes (Linux), or 0.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// writeXLSXRows writes n rows cycling over pool with this package's
// writer (styled and typed, as the export does) and returns the bytes
// written.
func writeXLSXRows(b *testing.B, w io.Writer, pool [][]string, n int, hp *heapPeak) {
	xw, err := NewWriter(w, WriterOptions{Format: FormatXLSX, Header: exportHeader, Types: exportTypes, Styled: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := xw.Write(pool[i%len(pool)]); err != nil {
			b.Fatal(err)
		}
		if hp != nil && i%16384 == 0 {
			hp.sample()
		}
	}
	if err := xw.Close(); err != nil {
		b.Fatal(err)
	}
}

// writeExcelizeRows is the same rows through excelize's StreamWriter with
// its defaults: typed values, then WriteTo, which builds the whole zip in
// memory at compress/flate level 5 before copying it to w.
func writeExcelizeRows(b *testing.B, w io.Writer, pool [][]string, n int, hp *heapPeak) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "Customers")
	dateFmt := "yyyy-mm-dd hh:mm:ss"
	date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	sw, err := f.NewStreamWriter("Customers")
	if err != nil {
		b.Fatal(err)
	}
	for i := len(exportHeader) - 1; i >= 0; i-- {
		sw.SetColWidth(i+1, i+1, 20)
	}
	sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	hdr := make([]any, len(exportHeader))
	for i, h := range exportHeader {
		hdr[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	sw.SetRow("A1", hdr)
	vals := make([]any, len(exportHeader))
	for i := range n {
		for j, s := range pool[i%len(pool)] {
			vals[j] = s
			switch {
			case s == "":
				vals[j] = nil
			case exportTypes[j] == ColumnNumber:
				if v, ok := parseNumber(s); ok {
					vals[j] = v
				}
			case exportTypes[j] == ColumnBool:
				if v, ok := parseBool(s); ok {
					vals[j] = v
				}
			case exportTypes[j] == ColumnTime:
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					vals[j] = excelize.Cell{StyleID: date, Value: t.UTC()}
				}
			}
		}
		ref, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(ref, vals); err != nil {
			b.Fatal(err)
		}
		if hp != nil && i%16384 == 0 {
			hp.sample()
		}
	}
	f.AutoFilter("Customers", "A1:M"+strconv.Itoa(n+1), nil)
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	hp.sample()
	if _, err := f.WriteTo(w); err != nil {
		b.Fatal(err)
	}
	hp.sample()
}

// BenchmarkXLSXWriter writes -xlsxrows export rows (13 columns, styled
// and typed) to a file through NewWriter, and reports rows/s, the peak
// in-use heap and peak RSS against the budget (≥ 50,000 rows/s, ≤ 256 MiB
// at 1,048,576 rows), and then the same for excelize's StreamWriter with
// its defaults (WriteTo) over the same rows in the same run.
func BenchmarkXLSXWriter(b *testing.B) {
	n := *benchXLSXRows
	pool := customerPool(4096)
	dir := b.TempDir()
	for b.Loop() {
		runtime.GC()
		var hp heapPeak
		f, err := os.Create(filepath.Join(dir, "writer.xlsx"))
		if err != nil {
			b.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 256<<10) // as the export does
		start, cpu := time.Now(), cpuTime()
		writeXLSXRows(b, bw, pool, n, &hp)
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		took, cpu := time.Since(start), cpuTime()-cpu
		hp.sample()
		fi, _ := f.Stat()
		f.Close()
		rss := vmHWM()
		rate := float64(n) / took.Seconds()
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/row")
		b.ReportMetric(float64(hp.max)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(fi.Size())/(1<<20), "file-MiB")
		b.Logf("NewWriter xlsx, %d rows x 13 columns: %.2fs, %.0f rows/s [target ≥ 50000: %s] (%.0f CPU ns/row), peak heap %.1f MiB, peak RSS of the test process %.1f MiB [target ≤ 256: %s], file %.1f MiB",
			n, took.Seconds(), rate, benchVerdict(rate >= 50_000), float64(cpu.Nanoseconds())/float64(n), float64(hp.max)/(1<<20), float64(rss)/(1<<20), benchVerdict(rss <= 256<<20), float64(fi.Size())/(1<<20))
		if !*benchXLSXBaseline {
			continue
		}
		runtime.GC()
		hp = heapPeak{}
		f, err = os.Create(filepath.Join(dir, "excelize.xlsx"))
		if err != nil {
			b.Fatal(err)
		}
		bw = bufio.NewWriterSize(f, 256<<10)
		en := min(n, excelize.TotalRows-1) // it writes one sheet
		start, cpu = time.Now(), cpuTime()
		writeExcelizeRows(b, bw, pool, en, &hp)
		if err := bw.Flush(); err != nil {
			b.Fatal(err)
		}
		etook, ecpu := time.Since(start), cpuTime()-cpu
		f.Close()
		erate := float64(en) / etook.Seconds()
		b.ReportMetric(erate, "excelize-defaults-rows/s")
		b.ReportMetric(float64(ecpu.Nanoseconds())/float64(en), "excelize-defaults-cpu-ns/row")
		b.ReportMetric(float64(hp.max)/(1<<20), "excelize-defaults-peak-heap-MiB")
		b.Logf("excelize StreamWriter with its defaults (WriteTo), %d rows: %.2fs, %.0f rows/s, %.0f CPU ns/row, peak heap %.1f MiB",
			en, etook.Seconds(), erate, float64(ecpu.Nanoseconds())/float64(en), float64(hp.max)/(1<<20))
	}
}

func benchVerdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

type countingWriter int64

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}
