package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// client is a browser-like API client: a cookie jar and the CSRF token.
type client struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func (c *client) call(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, c.base+"/api/v1"+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s = %d, want %d: %v", method, path, resp.StatusCode, want, out)
	}
	return out
}

func (c *client) login(name, password string) {
	c.t.Helper()
	out := c.call("POST", "/session", map[string]any{"name": name, "password": password}, 200)
	c.csrf, _ = out["csrf_token"].(string)
}

func newClient(t *testing.T, base string, tr http.RoundTripper) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, http: &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second}}
}

// TestDemoOverHTTPS runs the real binary with --demo under TLS and does what
// the closing note promises with curl: log in, create a unit, an
// editor and a playlist.
func TestDemoOverHTTPS(t *testing.T) {
	controllerBin, _ := buildBinaries(t)
	data := t.TempDir()
	cert, key, pool := selfSigned(t)
	ctl := start(t, controllerBin, "serve", "--demo", "--listen", "127.0.0.1:0", "--data", data, "--tls-cert", cert, "--tls-key", key)
	re := regexp.MustCompile(`listening on https://(127\.0\.0\.1:\d+)`)
	addr := re.FindStringSubmatch(ctl.waitLine(t, re, 1))[1]
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}

	admin := newClient(t, "https://"+addr, tr)
	admin.login("admin", "pano-demo-57")
	unit := admin.call("POST", "/units", map[string]any{"name": "Khối phố 7", "kind": "neighbourhood"}, 201)
	admin.call("POST", "/users", map[string]any{"name": "bien-tap-7", "password": "mật khẩu khối phố 7", "role": "editor", "unit_id": unit["id"]}, 201)

	ed := newClient(t, "https://"+addr, tr)
	ed.login("bien-tap-7", "mật khẩu khối phố 7")
	m := ed.call("POST", "/media", map[string]any{"title": "Họp khối phố", "kind": "text", "body": "19 giờ thứ Bảy tại nhà văn hóa"}, 201)
	p := ed.call("POST", "/playlists", map[string]any{"name": "Khối phố 7", "items": []any{map[string]any{"media_id": m["id"], "duration_ms": 8000}}}, 201)
	if p["status"] != "draft" || p["unit_id"] != unit["id"] {
		t.Fatalf("playlist %v", p)
	}
	// The editor does not see the demo's other units' media.
	l := ed.call("GET", "/media", nil, 200)
	if l["total"] != float64(1) {
		t.Fatalf("the editor sees %v media, want only their own", l["total"])
	}

	// Under TLS the session cookie is Secure (the jar only returns it over
	// https: check the Set-Cookie header directly).
	req, _ := http.NewRequest("POST", "https://"+addr+"/api/v1/session", bytes.NewReader([]byte(`{"name":"viewer","password":"pano-demo-57"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cks := resp.Cookies()
	if len(cks) != 1 || !cks[0].Secure || !cks[0].HttpOnly || cks[0].SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie under TLS: %+v", cks)
	}
	if h := resp.Header.Get("Strict-Transport-Security"); h != "max-age=31536000" {
		t.Fatalf("Strict-Transport-Security under TLS: %q", h)
	}
	if _, err := ctl.stop(t); err != nil {
		t.Fatalf("controller exit: %v", err)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pano test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certFile, keyFile, pool
}
