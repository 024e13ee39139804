package node

import (
	"reflect"
	"sync"

	cfg "github.com/cometbft/cometbft/config"
	nm "github.com/cometbft/cometbft/node"
)

// Metrics. With instrumentation.prometheus on, CometBFT registers its
// collectors in client_golang's default registry and serves that registry
// on instrumentation.prometheus_listen_addr; the app's collectors
// (state.Metrics, sable_*) are registered in the same registry, so one
// scrape of the node's endpoint returns both.
//
// CometBFT's collectors panic when registered twice, which a second node
// started in the same process (tests, localnet's in-process validators, a
// node stopped and started again) would do. So they are made once per
// namespace and process and shared: nodes in one process then add into the
// same series, labelled with the first node's chain id. A validator in
// production runs alone in its process.
var cometMetrics struct {
	sync.Mutex
	byNamespace map[string][]reflect.Value
}

// sharedMetricsProvider is nm.DefaultMetricsProvider, its collectors made
// once per namespace when Prometheus is on. (The provider returns types
// of CometBFT's internal packages, which only reflection can hold.)
func sharedMetricsProvider(ic *cfg.InstrumentationConfig) nm.MetricsProvider {
	def := nm.DefaultMetricsProvider(ic)
	if !ic.Prometheus {
		return def
	}
	shared := reflect.MakeFunc(reflect.TypeOf(def), func(args []reflect.Value) []reflect.Value {
		cometMetrics.Lock()
		defer cometMetrics.Unlock()
		if m, ok := cometMetrics.byNamespace[ic.Namespace]; ok {
			return m
		}
		if cometMetrics.byNamespace == nil {
			cometMetrics.byNamespace = map[string][]reflect.Value{}
		}
		m := reflect.ValueOf(def).Call(args)
		cometMetrics.byNamespace[ic.Namespace] = m
		return m
	})
	return shared.Interface().(nm.MetricsProvider)
}
