package models_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waorder/waorder/models"
)

func TestPhoneNumber_ExportNamesMetasIDAndOldExportsStillImport(t *testing.T) {
	p := models.PhoneNumber{ID: 7, BusinessID: 3, MetaPhoneID: "106540352242922", WABAID: "w1", Status: models.PhoneConnected}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"MetaPhoneID":"106540352242922"`) || strings.Contains(string(b), `"PhoneNumberID"`) {
		t.Fatalf("export %s: want Meta's id under MetaPhoneID only", b)
	}
	for name, in := range map[string]string{
		"new export": string(b),
		"old export": `{"ID":7,"BusinessID":3,"PhoneNumberID":"106540352242922","WABAID":"w1","Status":"connected"}`,
		"both keys":  `{"ID":7,"BusinessID":3,"PhoneNumberID":"stale","MetaPhoneID":"106540352242922","WABAID":"w1","Status":"connected"}`,
	} {
		var got models.PhoneNumber
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.MetaPhoneID != p.MetaPhoneID || got.ID != 7 || got.BusinessID != 3 || got.WABAID != "w1" || got.Status != p.Status {
			t.Errorf("%s: read %+v", name, got)
		}
	}
	var dump struct{ PhoneNumbers []models.PhoneNumber }
	if err := json.Unmarshal([]byte(`{"PhoneNumbers":[{"PhoneNumberID":"1"},{"MetaPhoneID":"2"}]}`), &dump); err != nil ||
		len(dump.PhoneNumbers) != 2 || dump.PhoneNumbers[0].MetaPhoneID != "1" || dump.PhoneNumbers[1].MetaPhoneID != "2" {
		t.Fatalf("a list of numbers: %+v %v", dump, err)
	}
}
