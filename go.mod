module github.com/pano-signage/pano

go 1.26.0

require (
	github.com/disintegration/imaging v1.6.2 // assets: resize/fit/sharpen renditions (pure Go)
	github.com/eclipse/paho.mqtt.golang v1.5.1 // loadgen (make bench): the Mosquitto peer's subscribers
	github.com/gorilla/websocket v1.5.3
	github.com/jackc/pgx/v5 v5.12.0 // store: PostgreSQL for controller replicas (serve --db postgres://…)
	github.com/labstack/echo/v4 v4.16.4
	github.com/mattn/go-sqlite3 v1.14.53
	github.com/nats-io/nats-server/v2 v2.15.2 // tests: an embedded NATS server with JetStream (controller/internal/cluster/natstest)
	github.com/nats-io/nats.go v1.55.0 // serve --nats: the bus between controller replicas, and asset files in JetStream's object store
	github.com/prometheus/client_golang v1.25.0 // /metrics of the controller and (--metrics) the agent
	github.com/prometheus/client_model v0.6.3 // tests: scraped metrics
	github.com/prometheus/common v0.72.0 // tests: parse the /metrics text (expfmt)
	go.bug.st/serial v1.8.0 // TPM2 and Adalight drivers: termios without cgo
	go.uber.org/goleak v1.3.0 // tests: websocket pumps leave no goroutine behind
	go.yaml.in/yaml/v3 v3.0.6 // firmware profiles: KnownFields and line numbers in errors
	golang.org/x/crypto v0.59.0 // argon2id password hashes
	golang.org/x/image v0.48.0 // assets: WebP decoding, OpenType text drawing; test-pattern bitmap font
	golang.org/x/sys v0.50.0 // LED drivers: sendmmsg, one system call per frame instead of per packet
	golang.org/x/text v0.44.0 // assets: NFC normalization of notice text
)

require (
	github.com/antithesishq/antithesis-sdk-go v0.8.0-default-no-op // indirect
	github.com/beorn7/perks v1.0.1 // indirect
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/kylelemons/godebug v1.1.0 // indirect
	github.com/labstack/gommon v0.5.0 // indirect
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/minio/highwayhash v1.0.4 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/nats-io/jwt/v2 v2.8.2 // indirect
	github.com/nats-io/nkeys v0.4.16 // indirect
	github.com/nats-io/nuid v1.0.1 // indirect
	github.com/prometheus/procfs v0.22.0 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	golang.org/x/net v0.62.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
	golang.org/x/time v0.16.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
