package model

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The database engines a DataSurface model can name, with the port each
// listens on unless the spec says otherwise.
const (
	EnginePostgres  = "postgres"
	EngineSQLServer = "sqlserver"
	EngineOracle    = "oracle"
	EngineDB2       = "db2"
	// EngineSnowflake is reached over HTTPS.
	EngineSnowflake = "snowflake"
)

// EnginePort is the port an engine listens on by default: PostgreSQL 5432,
// SQL Server 1433, Oracle 1521, DB2 50000, Snowflake 443 (HTTPS); 0 for an
// engine it does not know.
func EnginePort(engine string) int {
	switch engine {
	case EnginePostgres:
		return 5432
	case EngineSQLServer:
		return 1433
	case EngineOracle:
		return 1521
	case EngineDB2:
		return 50000
	case EngineSnowflake:
		return 443
	}
	return 0
}

// ExternalDatabase is a database server outside what ydpgen renders that
// DataSurface's model uses: a source, a consumer resource group's store, a
// merge store on another server. It is named by host (a DNS name or an IP
// address) or by an address range.
type ExternalDatabase struct {
	Name   string `json:"name"`
	Engine string `json:"engine"`
	Host   string `json:"host,omitempty"`
	CIDR   string `json:"cidr,omitempty"`
	// Port is the engine's default when the spec leaves it out (the loader
	// fills it in).
	Port int `json:"port"`
}

// DatabaseEndpoint is one address and port outside the namespace that the
// platform's pods connect to a database at.
type DatabaseEndpoint struct {
	// What names the database for messages.
	What string
	// Host is a DNS name or an IP address; CIDR an address range. One of
	// the two is set.
	Host string
	CIDR string
	Port int
	// AddressPath and PortPath are the resolved spec paths of the address
	// and the port, for positioned findings.
	AddressPath string
	PortPath    string
}

// Prefix is the endpoint's address as a range: an IP host as a single
// address, the CIDR as written. ok is false for a DNS name, which a
// NetworkPolicy cannot name.
func (d DatabaseEndpoint) Prefix() (netip.Prefix, bool) {
	if d.CIDR != "" {
		p, err := netip.ParsePrefix(d.CIDR)
		return p.Masked(), err == nil
	}
	a, err := netip.ParseAddr(d.Host)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// DatabaseEndpoints lists the databases outside the namespace that the
// environment names: an external metadata database (which also holds the
// merge database), then datasurface.externalDatabases in their order.
func (e *Environment) DatabaseEndpoints() []DatabaseEndpoint {
	var out []DatabaseEndpoint
	if md := e.Airflow.MetadataDatabase; md.Mode == External && md.Host != "" {
		out = append(out, DatabaseEndpoint{
			What: "the metadata database server", Host: md.Host, Port: md.Port,
			AddressPath: "airflow.metadataDatabase.host", PortPath: "airflow.metadataDatabase.port",
		})
	}
	for i, d := range e.DataSurface.ExternalDatabases {
		p := fmt.Sprintf("datasurface.externalDatabases[%d]", i)
		ep := DatabaseEndpoint{What: fmt.Sprintf("database server %s (%s)", d.Name, d.Engine), Host: d.Host, CIDR: d.CIDR, Port: d.Port,
			AddressPath: p + ".host", PortPath: p + ".port"}
		if d.CIDR != "" {
			ep.AddressPath = p + ".cidr"
		}
		out = append(out, ep)
	}
	return out
}

// GitPorts are the ports the platform's pods reach git hosts on: 443 for
// DataSurface's own clones (it fetches the model and DataTransformer code
// over HTTPS), and the port of every git URL the spec names (the model
// repository and the DAG repository): HTTPS 443 and SSH 22 unless the URL
// names another. Sorted, each once.
func (e *Environment) GitPorts() []int {
	ports := []int{443}
	urls := []string{e.DataSurface.Model.Repository}
	if g := e.Airflow.DAGs.GitSync; g.Enabled {
		urls = append(urls, g.Repository)
	}
	for _, u := range urls {
		if p := GitPort(u); p > 0 {
			ports = append(ports, p)
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// GitPort is the TCP port a git URL is fetched from: the one the URL names,
// else 443 for https://, 22 for ssh:// and git@host:path; 0 for other URLs.
func GitPort(url string) int {
	var rest string
	def := 0
	switch {
	case strings.HasPrefix(url, "https://"):
		rest, def = strings.TrimPrefix(url, "https://"), 443
	case strings.HasPrefix(url, "ssh://"):
		rest, def = strings.TrimPrefix(url, "ssh://"), 22
	case strings.HasPrefix(url, "git@"):
		// scp-like syntax has no port of its own.
		return 22
	default:
		return 0
	}
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if _, port, ok := strings.Cut(host, ":"); ok {
		if n, err := strconv.Atoi(port); err == nil && n > 0 && n < 65536 {
			return n
		}
	}
	return def
}
