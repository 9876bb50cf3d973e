// Package objstore keeps the asset files that every controller replica
// must reach in NATS JetStream's object store: one bucket (DefaultBucket),
// one object per file, named by the file's SHA-256 in lower-case hex, its
// extension kept in the object's metadata. It implements assets.Remote:
// the assets.Store of each replica commits every file here before naming
// it, and fetches here what its own directory lacks (see assets/remote.go).
//
// Objects are named by the hash alone, not hash+extension, because a
// Store looks files up by hash (assets.Store.Find): one look-up, never a
// listing of the bucket. The object store chunks an object into messages
// of 128 KiB, and both Put and Get stream: a 2 GiB video is never in
// memory (Get reads the chunks itself, a few at a time: see Get).
// JetStream's own digest is the SHA-256 of the content, so a damaged
// object shows in its metadata before a byte is read, and Get checks the
// chunks against it (and the Store checks them again, against the name,
// as it writes its copy).
package objstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/pano-signage/pano/assets"
)

// DefaultBucket is the bucket pano's replicas share.
const DefaultBucket = "pano-assets"

// extKey is the metadata key of an object's file extension (".png").
const extKey = "pano-ext"

// Options configure Open; zero values take the defaults.
type Options struct {
	Bucket string // default DefaultBucket
	// Replicas is how many NATS servers keep each object (JetStream
	// replication, 1 to 5); default 1. With a cluster of three NATS
	// servers, 3 survives the loss of one.
	Replicas int
}

// Bucket is the object store bucket of pano's asset files.
type Bucket struct {
	obs    jetstream.ObjectStore
	js     jetstream.JetStream
	stream string // the stream under the bucket, for Get's consumer
}

var _ assets.Remote = (*Bucket)(nil)

// Open returns the bucket, created (file storage, o.Replicas) if it does
// not exist yet; an existing bucket is used as it is, so that one an
// operator made or changed (more replicas) is never reconfigured. nc stays
// the caller's to close.
func Open(ctx context.Context, nc *nats.Conn, o Options) (*Bucket, error) {
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("objstore: %w", err)
	}
	obs, err := js.ObjectStore(ctx, o.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		obs, err = js.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{
			Bucket:      o.Bucket,
			Description: "pano asset files by SHA-256 (originals and renditions)",
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) { // another replica made it meanwhile
			obs, err = js.ObjectStore(ctx, o.Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("objstore: open bucket %s (is JetStream enabled on the NATS server, nats-server -js?): %w", o.Bucket, err)
	}
	st, err := obs.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("objstore: open bucket %s: %w", o.Bucket, err)
	}
	bs, ok := st.(*jetstream.ObjectBucketStatus)
	if !ok {
		return nil, fmt.Errorf("objstore: open bucket %s: its status is a %T, not a JetStream stream's", o.Bucket, st)
	}
	return &Bucket{obs: obs, js: js, stream: bs.StreamInfo().Config.Name}, nil
}

// Store returns the JetStream object store under b, for tests and tools.
func (b *Bucket) Store() jetstream.ObjectStore { return b.obs }

// Put stores r's bytes under sha unless the bucket already holds an intact
// object of that name (its digest is sha). The object store publishes the
// chunks first and the object's metadata last, and removes the chunks of a
// failed Put, so the name never points at part of r.
func (b *Bucket) Put(ctx context.Context, sha, ext string, r io.Reader) error {
	info, err := b.obs.GetInfo(ctx, sha)
	switch {
	case err == nil && digestIs(info.Digest, sha):
		return nil
	case err != nil && !errors.Is(err, jetstream.ErrObjectNotFound):
		return fmt.Errorf("objstore: put %s: %w", sha, err)
	}
	// A missing object, or a damaged one: (re)write it.
	_, err = b.obs.Put(ctx, jetstream.ObjectMeta{Name: sha, Metadata: map[string]string{extKey: ext}}, r)
	if err != nil {
		return fmt.Errorf("objstore: put %s: %w", sha, err)
	}
	return nil
}

// Get streams the object sha into w and returns its extension. A missing
// object is fs.ErrNotExist; one whose digest is not its name, or whose
// chunks do not add up to its digest and size, is assets.ErrRemoteCorrupt.
//
// It reads the chunks through an ordered pull consumer that asks for
// pullChunks at a time, rather than with the object store's own Get,
// whose push consumer lets the server send up to 32 MB ahead of a slow
// disk: a fetch holds about 1 MB, however large the file, and each chunk
// must come within stall.
func (b *Bucket) Get(ctx context.Context, sha string, w io.Writer) (string, error) {
	info, err := b.obs.GetInfo(ctx, sha)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return "", fmt.Errorf("objstore: get %s: %w", sha, fs.ErrNotExist)
	}
	if err != nil {
		return "", fmt.Errorf("objstore: get %s: %w", sha, err)
	}
	if !digestIs(info.Digest, sha) {
		return "", fmt.Errorf("objstore: get %s: %w: its digest is %q", sha, assets.ErrRemoteCorrupt, info.Digest)
	}
	ext := info.Metadata[extKey]
	if info.Chunks == 0 {
		return ext, nil // empty: the Store checks the hash of nothing
	}
	cons, err := b.js.OrderedConsumer(ctx, b.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{fmt.Sprintf("$O.%s.C.%s", info.Bucket, info.NUID)}})
	if err != nil {
		return "", fmt.Errorf("objstore: get %s: %w", sha, err)
	}
	msgs, err := cons.Messages(jetstream.PullMaxMessages(pullChunks))
	if err != nil {
		return "", fmt.Errorf("objstore: get %s: %w", sha, err)
	}
	defer msgs.Stop()
	h := sha256.New()
	var size uint64
	for i := uint32(0); i < info.Chunks; i++ {
		cctx, cancel := context.WithTimeout(ctx, stall)
		m, err := msgs.Next(jetstream.NextContext(cctx))
		cancel()
		if err != nil {
			return "", fmt.Errorf("objstore: get %s: chunk %d of %d: %w", sha, i+1, info.Chunks, err)
		}
		h.Write(m.Data())
		size += uint64(len(m.Data()))
		if _, err := w.Write(m.Data()); err != nil {
			return "", fmt.Errorf("objstore: get %s: %w", sha, err)
		}
	}
	if got := hex.EncodeToString(h.Sum(nil)); size != info.Size || got != sha {
		return "", fmt.Errorf("objstore: get %s: %w: its %d chunks hold %d bytes with the SHA-256 %s; its metadata says %d bytes with the SHA-256 of its name",
			sha, assets.ErrRemoteCorrupt, info.Chunks, size, got, info.Size)
	}
	return ext, nil
}

// pullChunks is how many chunks (of 128 KiB) a Get asks for at a time.
const pullChunks = 8

// stall is how long a Get waits for one chunk before it gives up.
const stall = 30 * time.Second

// Delete removes the object sha; a missing one is not an error.
func (b *Bucket) Delete(ctx context.Context, sha string) error {
	err := b.obs.Delete(ctx, sha)
	if err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("objstore: delete %s: %w", sha, err)
	}
	return nil
}

// List returns the objects of the bucket (their hash and size).
func (b *Bucket) List(ctx context.Context) ([]assets.StoredFile, error) {
	infos, err := b.obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("objstore: list: %w", err)
	}
	out := make([]assets.StoredFile, 0, len(infos))
	for _, info := range infos {
		out = append(out, assets.StoredFile{SHA256: info.Name, Size: int64(info.Size)})
	}
	return out, nil
}

// digestIs reports whether the object store's digest ("SHA-256=" and the
// URL-safe base64 of the sum) is the sum whose hex is sha.
func digestIs(digest, sha string) bool {
	sum, err := jetstream.DecodeObjectDigest(digest)
	if err != nil || len(sum) != sha256.Size {
		return false
	}
	return hex.EncodeToString(sum) == sha
}
