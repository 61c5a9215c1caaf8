package outbox_test

import (
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
)

func deliveryWithStatus(e *env, wamid, status string) []repository.Delivery {
	return []repository.Delivery{{Statuses: []models.MessageStatus{{BusinessID: e.biz.ID, Wamid: wamid, Status: status,
		Recipient: e.cust.WaID, Payload: `{"status":"` + status + `"}`, StatusAt: time.Now().UTC()}}}}
}
