package main
import (
 _ "github.com/gofiber/fiber/v2"
 _ "gorm.io/gorm"
 _ "gorm.io/driver/postgres"
 _ "github.com/glebarez/sqlite"
 _ "github.com/valkey-io/valkey-go"
 _ "github.com/spf13/viper"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "golang.org/x/crypto/argon2"
 _ "github.com/chromedp/chromedp"
)
func main(){}
