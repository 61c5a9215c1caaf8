package app

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/auth"
	"github.com/waorder/waorder/mediastore"
	"github.com/waorder/waorder/merchant/merchanttest"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
)

const (
	keyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	keyB = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100"
)

// production completes env with the keys a deployment outside sandbox mode needs.
func production(env map[string]string) map[string]string {
	env["CONFIG_FILE"] = "none.yaml"
	env["WHATSAPP_APP_SECRET"] = "app-secret"
	env["WHATSAPP_VERIFY_TOKEN"] = "verify-token"
	env["SESSION_SECRET"] = "a-session-secret-of-at-least-32-characters"
	return env
}

func openTest(t *testing.T, dbURL, dataDir string) *repository.Store {
	t.Helper()
	s, err := repository.Open(context.Background(), dbURL, dataDir, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func boxOf(t *testing.T, hexKey string) *secretbox.Box {
	t.Helper()
	k := make([]byte, 32)
	for i := range k {
		v, _ := strconv.ParseUint(hexKey[2*i:2*i+2], 16, 8)
		k[i] = byte(v)
	}
	b, err := secretbox.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAdmin_ExportFromSQLiteImportIntoPostgresRemapsIdsAndReencryptsTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := production(map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": keyA})
	pgURL := testutil.PostgresSchemaURL(t)
	dstMedia := t.TempDir()
	dst := production(map[string]string{"DATABASE_URL": pgURL, "ENCRYPTION_KEY": keyB, "MEDIA_DIR": dstMedia})

	// The target already holds a business, so the imported rows cannot keep their ids by chance.
	if _, err := lastLine(t, dst, "admin", "create-business", "--name", "Other", "--phone-number-id", "other-1",
		"--access-token", "EAAG-other"); err != nil {
		t.Fatal(err)
	}
	if _, err := lastLine(t, src, "migrate"); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, "", dir)
	b := merchanttest.Seed(t, s, "Moving Cafe", 3)
	sealed, _ := boxOf(t, keyA).Seal("EAAG-moving-secret")
	must(t, s.DB(ctx).Model(&models.PhoneNumber{}).Where("id = ?", b.Phone.ID).Update("access_token_enc", sealed).Error)
	conv := models.Conversation{BusinessID: b.Business.ID, CustomerID: b.Customer.ID, State: "cart",
		Data: `{"step":"cart","cart":[{"retailer_id":"cake","product_id":` + strconv.FormatInt(b.Products[1].ID, 10) + `,"quantity":2}]}`}
	must(t, s.DB(ctx).Create(&conv).Error)
	at := time.Now().UTC()
	photo := models.InboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID,
		CustomerID: b.Customer.ID, Wamid: "wamid.moving." + testutil.RandomHex(4), Type: "image", Body: "", Payload: "{}",
		SentAt: at, ReceivedAt: at, ProcessedAt: &at}
	must(t, s.DB(ctx).Create(&photo).Error)
	// The customer's picture and a product's picture are files in the source's media folder.
	srcFiles, err := mediastore.NewLocal(filepath.Join(dir, "media"))
	must(t, err)
	defer srcFiles.Close()
	photoKey := mediastore.Key(fmt.Sprintf("b%d/in", b.Business.ID), ".jpg")
	pictureKey := mediastore.Key(fmt.Sprintf("b%d/p", b.Business.ID), ".png")
	must(t, srcFiles.Put(ctx, photoKey, []byte("\xff\xd8\xff the customer's photo"), "image/jpeg"))
	must(t, srcFiles.Put(ctx, pictureKey, []byte("\x89PNG the cake"), "image/png"))
	must(t, s.DB(ctx).Create(&models.InboundMedia{BusinessID: b.Business.ID, InboundMessageID: photo.ID,
		PhoneNumberID: b.Phone.ID, Kind: "image", MediaID: "media-1", MimeType: "image/jpeg", SizeBytes: 25,
		StorageKey: photoKey, Status: models.MediaStored, NextAttemptAt: at, CreatedAt: at, UpdatedAt: at}).Error)
	must(t, s.DB(ctx).Model(&models.Product{}).Where("id = ?", b.Products[1].ID).Update("image_key", pictureKey).Error)
	must(t, s.DB(ctx).Create(&models.OutboundMessage{BusinessID: b.Business.ID, PhoneNumberID: b.Phone.ID,
		CustomerID: b.Customer.ID, ToWaID: b.Customer.WaID, Kind: "text", Payload: "{}", Summary: "Hello",
		Status: models.OutQueued, IdempotencyKey: "moving:" + testutil.RandomHex(4), NextAttemptAt: at}).Error)
	biz := strconv.FormatInt(b.Business.ID, 10)
	if _, err := lastLine(t, src, "admin", "create-user", "--business", biz, "--email", "owner@moving.example",
		"--password", "correct horse"); err != nil {
		t.Fatal(err)
	}
	apiToken, err := lastLine(t, src, "admin", "create-api-token", "--business", biz)
	if err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "moving.tar.gz")
	if out, err := lastLine(t, src, "admin", "export-business", "--business", biz, file); err != nil || out != file {
		t.Fatalf("export: %q %v", out, err)
	}
	entries := readArchive(t, file)
	if strings.Contains(entries["business.json"], "EAAG-moving-secret") {
		t.Fatal("the export holds the access token in the clear")
	}
	if entries["media/"+photoKey] != "\xff\xd8\xff the customer's photo" || entries["media/"+pictureKey] != "\x89PNG the cake" {
		t.Fatalf("the export's files: %v", slices.Sorted(maps.Keys(entries)))
	}

	pg := openTest(t, pgURL, "")
	before, _ := pg.Businesses(ctx)
	if _, err := lastLine(t, dst, "admin", "import-business", file); err == nil ||
		!strings.Contains(err.Error(), "--source-key-file") {
		t.Fatalf("import without the source key: %v, want a refusal naming --source-key-file", err)
	}
	if after, _ := pg.Businesses(ctx); len(after) != len(before) {
		t.Fatalf("a refused import wrote %d businesses", len(after)-len(before))
	}
	keyFile := filepath.Join(t.TempDir(), "source.key")
	must(t, os.WriteFile(keyFile, []byte(keyA+"\n"), 0o600))
	out, err := lastLine(t, dst, "admin", "import-business", "--source-key-file", keyFile, file)
	if err != nil {
		t.Fatal(err)
	}
	newBiz, err := strconv.ParseInt(out, 10, 64)
	if err != nil || newBiz == b.Business.ID {
		t.Fatalf("import printed %q; want a new business id", out)
	}

	// Orders, their lines and customers arrive under the new ids, with the same numbers and totals.
	orders, total, err := pg.ListOrders(ctx, newBiz, models.OrderFilter{PageSize: 50})
	if err != nil || total != 3 {
		t.Fatalf("imported orders: %d %v", total, err)
	}
	for _, o := range orders {
		full, err := pg.Order(ctx, newBiz, o.ID)
		if err != nil || len(full.Items) != 1 || full.TotalMinor != models.ItemsTotal(full.Items) {
			t.Fatalf("imported order %+v: %v", full, err)
		}
		if c, err := pg.Customer(ctx, newBiz, full.CustomerID); err != nil || c.WaID != b.Customer.WaID {
			t.Fatalf("order %d's customer: %+v %v", o.Number, c, err)
		}
	}
	phone, err := pg.PhoneNumberByMetaID(ctx, b.Phone.MetaPhoneID)
	if err != nil || phone.BusinessID != newBiz {
		t.Fatalf("imported number: %+v %v", phone, err)
	}
	if tok, err := boxOf(t, keyB).Open(phone.AccessTokenEnc); err != nil || tok != "EAAG-moving-secret" {
		t.Fatalf("the access token was not re-encrypted with the target key: %q %v", tok, err)
	}
	prods, err := pg.Products(ctx, newBiz, false)
	if err != nil || len(prods) != 2 {
		t.Fatalf("imported products: %d %v", len(prods), err)
	}
	var data string
	must(t, pg.DB(ctx).Raw("SELECT data FROM conversations WHERE business_id = ?", newBiz).Scan(&data).Error)
	cakeID := prods[1].ID
	if prods[0].RetailerID == "cake" {
		cakeID = prods[0].ID
	}
	if !strings.Contains(data, `"product_id":`+strconv.FormatInt(cakeID, 10)) {
		t.Fatalf("the cart was not pointed at the imported product %d: %s", cakeID, data)
	}
	var msgs struct{ In, Out int64 }
	must(t, pg.DB(ctx).Raw(`SELECT (SELECT COUNT(*) FROM inbound_messages m JOIN customers c ON c.id = m.customer_id
		JOIN phone_numbers p ON p.id = m.phone_number_id WHERE m.business_id = ? AND c.business_id = ? AND p.business_id = ?) AS "in",
		(SELECT COUNT(*) FROM outbound_messages m JOIN customers c ON c.id = m.customer_id
		WHERE m.business_id = ? AND c.business_id = ? AND m.status = 'queued') AS "out"`,
		newBiz, newBiz, newBiz, newBiz, newBiz).Scan(&msgs).Error)
	if msgs.In != 1 || msgs.Out != 1 {
		t.Fatalf("imported messages pointing at the imported customer and number: %+v, want 1 each way", msgs)
	}
	// The picture arrived with its record, pointing at the imported message, and the file is in the target's folder.
	var media models.InboundMedia
	must(t, pg.DB(ctx).Where("business_id = ?", newBiz).First(&media).Error)
	var photoMsg models.InboundMessage
	must(t, pg.DB(ctx).First(&photoMsg, media.InboundMessageID).Error)
	if photoMsg.BusinessID != newBiz || photoMsg.Wamid != photo.Wamid || media.StorageKey != photoKey {
		t.Fatalf("imported media %+v of message %+v", media, photoMsg)
	}
	dstFiles, err := mediastore.NewLocal(dstMedia)
	must(t, err)
	defer dstFiles.Close()
	for key, want := range map[string]string{photoKey: "\xff\xd8\xff the customer's photo", pictureKey: "\x89PNG the cake"} {
		r, _, err := dstFiles.Open(ctx, key)
		must(t, err)
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != want {
			t.Fatalf("file %s in the target: %q", key, got)
		}
	}
	a := auth.New(pg, nil, nil, nil)
	if _, p, err := a.Login(ctx, "owner@moving.example", "correct horse", "127.0.0.1"); err != nil || p.BusinessID != newBiz {
		t.Fatalf("the merchant's login after the move: %+v %v", p, err)
	}
	if got, err := a.APIToken(ctx, apiToken); err != nil || got != newBiz {
		t.Fatalf("the API token after the move resolves to %d, %v", got, err)
	}

	// A second import of the same business conflicts (its number exists) and writes nothing.
	if _, err := lastLine(t, dst, "admin", "import-business", "--source-key-file", keyFile, file); err == nil {
		t.Fatal("a second import of the same number succeeded")
	}
	if after, _ := pg.Businesses(ctx); len(after) != len(before)+1 {
		t.Fatalf("businesses after a refused second import: %d, want %d", len(after), len(before)+1)
	}
	if r, _, err := dstFiles.Open(ctx, photoKey); err != nil {
		t.Fatalf("the refused second import removed the first one's file: %v", err)
	} else {
		r.Close()
	}
}

// A refused import leaves none of the files it brought; a bare JSON dump (how exports were written before they
// carried files) still imports.
func TestAdmin_RefusedImportLeavesNoFilesAndABareJSONDumpStillImports(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src := production(map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": keyA})
	if _, err := lastLine(t, src, "migrate"); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, "", dir)
	b := merchanttest.Seed(t, s, "Pictured", 1)
	sealed, _ := boxOf(t, keyA).Seal("EAAG-pictured")
	must(t, s.DB(ctx).Model(&models.PhoneNumber{}).Where("id = ?", b.Phone.ID).Update("access_token_enc", sealed).Error)
	files, err := mediastore.NewLocal(filepath.Join(dir, "media"))
	must(t, err)
	defer files.Close()
	key := mediastore.Key(fmt.Sprintf("b%d/p", b.Business.ID), ".png")
	must(t, files.Put(ctx, key, []byte("\x89PNG"), "image/png"))
	must(t, s.DB(ctx).Model(&models.Product{}).Where("id = ?", b.Products[0].ID).Update("image_key", key).Error)
	archive := filepath.Join(t.TempDir(), "pictured.tar.gz")
	if _, err := lastLine(t, src, "admin", "export-business", "--business", strconv.FormatInt(b.Business.ID, 10), archive); err != nil {
		t.Fatal(err)
	}

	// The target already has this number: the import is refused, and the picture it brought is gone again.
	dstMedia := t.TempDir()
	dst := production(map[string]string{"DATABASE_URL": testutil.PostgresSchemaURL(t), "ENCRYPTION_KEY": keyA, "MEDIA_DIR": dstMedia})
	if _, err := lastLine(t, dst, "admin", "create-business", "--name", "Squatter", "--phone-number-id", b.Phone.MetaPhoneID,
		"--access-token", "EAAG-x"); err != nil {
		t.Fatal(err)
	}
	if _, err := lastLine(t, dst, "admin", "import-business", archive); err == nil {
		t.Fatal("an import whose number exists succeeded")
	}
	dstFiles, err := mediastore.NewLocal(dstMedia)
	must(t, err)
	defer dstFiles.Close()
	if _, _, err := dstFiles.Open(ctx, key); !errors.Is(err, mediastore.ErrNotFound) {
		t.Fatalf("the refused import's picture: %v, want it removed", err)
	}

	// The rows alone, as a bare JSON file, import into a fresh target.
	bare := filepath.Join(t.TempDir(), "pictured.json")
	must(t, os.WriteFile(bare, []byte(readArchive(t, archive)["business.json"]), 0o600))
	fresh := production(map[string]string{"DATABASE_URL": testutil.PostgresSchemaURL(t), "ENCRYPTION_KEY": keyA, "MEDIA_DIR": t.TempDir()})
	if out, err := lastLine(t, fresh, "admin", "import-business", bare); err != nil {
		t.Fatalf("bare JSON import: %q %v", out, err)
	}
}

// readArchive returns the entries of an export archive by name.
func readArchive(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must(t, err)
	tr := tar.NewReader(zr)
	out := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		must(t, err)
		b, err := io.ReadAll(tr)
		must(t, err)
		out[hdr.Name] = string(b)
	}
}

func TestAdmin_BackupCopiesTheEmbeddedDatabaseWhileItIsWritten(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := production(map[string]string{"DATA_DIR": dir, "ENCRYPTION_KEY": keyA})
	if _, err := lastLine(t, env, "migrate"); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, "", dir)
	b := merchanttest.Seed(t, s, "Backed Up", 2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the service keeps writing during the backup
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			p := models.Product{BusinessID: b.Business.ID, RetailerID: "p" + strconv.Itoa(i), Name: "P", PriceMinor: 1, Currency: "USD"}
			if err := s.CreateProduct(ctx, &p); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	backupDir := t.TempDir()
	file := filepath.Join(backupDir, "waorder.db")
	out, err := lastLine(t, env, "admin", "backup", file)
	close(stop)
	wg.Wait()
	if err != nil || out != file {
		t.Fatalf("backup: %q %v", out, err)
	}
	copyStore := openTest(t, "", backupDir)
	var check string
	must(t, copyStore.DB(ctx).Raw("PRAGMA integrity_check").Scan(&check).Error)
	if check != "ok" {
		t.Fatalf("the backup's integrity check: %s", check)
	}
	if orders, total, err := copyStore.ListOrders(ctx, b.Business.ID, models.OrderFilter{PageSize: 10}); err != nil ||
		total != 2 || len(orders) != 2 {
		t.Fatalf("orders in the backup: %d %v", total, err)
	}
	if _, err := lastLine(t, env, "admin", "backup", file); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("a backup over an existing file: %v, want a refusal", err)
	}
	t.Run("postgres points to pg_dump", func(t *testing.T) {
		pg := production(map[string]string{"DATABASE_URL": testutil.PostgresSchemaURL(t), "ENCRYPTION_KEY": keyA})
		if _, err := lastLine(t, pg, "admin", "backup", filepath.Join(backupDir, "pg.db")); err == nil ||
			!strings.Contains(err.Error(), "pg_dump") {
			t.Fatalf("backup on PostgreSQL: %v, want a pointer to pg_dump", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
