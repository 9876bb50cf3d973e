package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pano-signage/pano/controller/internal/auth"
	"github.com/pano-signage/pano/controller/internal/store"
)

type userIn struct {
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	UnitID   int64  `json:"unit_id"`
}

type userPatch struct {
	Role     *string `json:"role"`
	UnitID   *int64  `json:"unit_id"`
	Password *string `json:"password"`
	Disabled *bool   `json:"disabled"`
}

// MinPassword is the shortest password accepted.
const MinPassword = 10

func checkPassword(pw string) error {
	if len([]rune(pw)) < MinPassword {
		return invalid("password_too_short", "the password must have at least %d characters", MinPassword).at("password").with("min", MinPassword)
	}
	if len(pw) > 1024 {
		return invalid("too_long", "the password is longer than 1024 bytes").at("password").with("max", 1024)
	}
	return nil
}

func checkRole(r string) error {
	if !store.ValidRole(r) {
		return invalid("invalid_role", "role %q must be one of %s", r, strings.Join(store.Roles, ", ")).at("role").with("role", r)
	}
	return nil
}

func (a *API) listUsers(c echo.Context, _ *principal) error {
	q := &query{c: c}
	f := store.UserFilter{UnitID: q.id("unit_id"), Role: q.oneOf("role", store.Roles...), Q: q.str("q")}
	if q.err != nil {
		return q.err
	}
	us, err := a.o.Store.Users(ctxOf(c), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, list[store.User]{Items: us})
}

func (a *API) createUser(c echo.Context, p *principal) error {
	var in userIn
	if err := a.decode(c, &in); err != nil {
		return err
	}
	n, err := name("name", in.Name)
	if err != nil {
		return err
	}
	if err := checkRole(in.Role); err != nil {
		return err
	}
	if err := checkPassword(in.Password); err != nil {
		return err
	}
	if in.UnitID <= 0 {
		return invalid("required", "unit_id is required").at("unit_id")
	}
	hash, err := auth.HashPassword(in.Password, a.o.Passwords)
	if err != nil {
		return err
	}
	u, err := a.o.Store.CreateUser(ctxOf(c), p.actor(), store.User{Name: n, Role: in.Role, UnitID: in.UnitID, PasswordHash: hash})
	if err != nil {
		return storeErr(err, "unit", in.UnitID)
	}
	return c.JSON(http.StatusCreated, u)
}

func (a *API) getUser(c echo.Context, _ *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := a.o.Store.User(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "user", id)
	}
	return c.JSON(http.StatusOK, u)
}

func (a *API) updateUser(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	u, err := a.o.Store.User(ctxOf(c), id)
	if err != nil {
		return storeErr(err, "user", id)
	}
	var in userPatch
	if err := a.decode(c, &in); err != nil {
		return err
	}
	if in.Role != nil {
		if err := checkRole(*in.Role); err != nil {
			return err
		}
		u.Role = *in.Role
	}
	if in.UnitID != nil {
		u.UnitID = *in.UnitID
	}
	if in.Disabled != nil {
		u.Disabled = *in.Disabled
	}
	u.PasswordHash = ""
	if in.Password != nil {
		if err := checkPassword(*in.Password); err != nil {
			return err
		}
		if u.PasswordHash, err = auth.HashPassword(*in.Password, a.o.Passwords); err != nil {
			return err
		}
	}
	if u.ID == p.User.ID && (u.Role != store.RoleAdmin || u.Disabled) {
		return errf(http.StatusConflict, "self_lockout", "you cannot take away your own admin role or disable yourself")
	}
	u, err = a.o.Store.UpdateUser(ctxOf(c), p.actor(), u)
	if err != nil {
		return storeErr(err, "unit", u.UnitID)
	}
	return c.JSON(http.StatusOK, u)
}

func (a *API) deleteUser(c echo.Context, p *principal) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if id == p.User.ID {
		return errf(http.StatusConflict, "self_delete", "you cannot delete yourself")
	}
	if err := a.o.Store.DeleteUser(ctxOf(c), p.actor(), id); err != nil {
		return storeErr(err, "user", id)
	}
	return c.NoContent(http.StatusNoContent)
}
