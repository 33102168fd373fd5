package model

// NetworkPolicy is the namespace's default-deny policy and what it lets
// through.
type NetworkPolicy struct {
	Enabled bool `json:"enabled"`
	// IngressControllerNamespace is where the ingress controller's pods run.
	IngressControllerNamespace string   `json:"ingressControllerNamespace,omitempty"`
	IngressCIDRs               []string `json:"ingressCIDRs"`
	DatabaseCIDRs              []string `json:"databaseCIDRs"`
	DatabasePorts              []int    `json:"databasePorts"`
	APIServerCIDRs             []string `json:"apiServerCIDRs"`
}

// LimitRange gives containers that set no requests or limits defaults.
type LimitRange struct {
	Enabled         bool      `json:"enabled"`
	DefaultRequests CPUMemory `json:"defaultRequests"`
	DefaultLimits   CPUMemory `json:"defaultLimits"`
}

// ResourceQuota caps the namespace. Empty fields set no limit.
type ResourceQuota struct {
	Enabled                bool       `json:"enabled"`
	Requests               *CPUMemory `json:"requests,omitempty"`
	Limits                 *CPUMemory `json:"limits,omitempty"`
	Pods                   int        `json:"pods,omitempty"`
	PersistentVolumeClaims *int       `json:"persistentVolumeClaims,omitempty"`
	Storage                string     `json:"storage,omitempty"`
}
