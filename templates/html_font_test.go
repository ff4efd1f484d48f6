package templates

import (
	"regexp"
	"strings"
	"testing"
)

// Every font stack of the classroom's HTML names fonts that have Hangul before its generic
// family: a machine without them shows Korean names as empty boxes.
func TestHTMLFontsHaveHangul(t *testing.T) {
	korean := []string{"Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic"}
	stack := regexp.MustCompile(`font-family:\s*([^;]+);`)
	for _, name := range []string{"classroom/page.html", "classroom/room.html"} {
		b, err := htmlFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range stack.FindAllStringSubmatch(string(b), -1) {
			fonts := m[1]
			generic := strings.LastIndex(fonts, ",")
			found := false
			for _, k := range korean {
				if i := strings.Index(fonts, k); i >= 0 && i < generic {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: font-family %q names no Korean font (%v) before its generic family", name, fonts, korean)
			}
		}
	}
}
