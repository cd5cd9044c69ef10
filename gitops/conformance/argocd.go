// Package conformance evaluates the fixtures of gitops/argocd with the code Flux and Argo CD run:
// kstatus (sigs.k8s.io/cli-utils and Flux's fork github.com/fluxcd/cli-utils) and Argo CD's Lua
// VM (github.com/yuin/gopher-lua at the version Argo CD pins, with the libraries Argo CD opens).
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	luajson "layeh.com/gopher-json"
)

// Health is Argo CD's health of one resource.
type Health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// hookFinalizer is the finalizer of Argo CD's hooks; an object with it is not "Pending deletion".
const hookFinalizer = "argocd.argoproj.io/hook-finalizer"

// ArgoHealth is what Argo CD shows for obj with script as its health check (gitops-engine's
// GetResourceHealth): "Progressing / Pending deletion" for an object being deleted, before and
// instead of the script; otherwise the script's result.
func ArgoHealth(obj *unstructured.Unstructured, script string, useOpenLibs bool) (Health, error) {
	if obj.GetDeletionTimestamp() != nil && !hasFinalizer(obj, hookFinalizer) {
		return Health{Status: "Progressing", Message: "Pending deletion"}, nil
	}
	health, err := RunHealthScript(obj, script, useOpenLibs)
	if err != nil {
		return Health{Status: "Unknown", Message: err.Error()}, err
	}
	return health, nil
}

func hasFinalizer(obj *unstructured.Unstructured, name string) bool {
	for _, f := range obj.GetFinalizers() {
		if f == name {
			return true
		}
	}
	return false
}

// validStatuses are the health codes Argo CD accepts from a script; any other is Unknown.
var validStatuses = map[string]bool{
	"Unknown": true, "Progressing": true, "Suspended": true, "Healthy": true, "Degraded": true,
	"Missing": true,
}

// RunHealthScript runs a health.lua as Argo CD's util/lua does. A script set in argocd-cm runs
// without useOpenLibs unless its key says so; Argo CD's own (built-in) scripts run with it.
//
// Without useOpenLibs the state has no standard library but these, opened as Argo CD opens them:
// package, base, table, and its "safe os" (time and date): Argo CD registers it under the name of
// the table library, which gopher-lua's RegisterModule leaves unchanged as it is loaded already,
// and preloads it as the module "os", so require("os") is the one way to it. There is no global
// string, math, os, io, debug, coroutine or channel. With useOpenLibs every gopher-lua library is
// opened first (and os is gopher-lua's whole os library).
func RunHealthScript(obj *unstructured.Unstructured, script string, useOpenLibs bool) (Health, error) {
	l := lua.NewState(lua.Options{SkipOpenLibs: !useOpenLibs})
	defer l.Close()
	safeOs := safeOsFunctions()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, func(l *lua.LState) int {
			l.Push(l.RegisterModule(lua.TabLibName, safeOs))
			return 1
		}},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return Health{}, err
		}
	}
	l.PreloadModule(lua.OsLibName, func(l *lua.LState) int {
		l.Push(l.SetFuncs(l.NewTable(), safeOs))
		return 1
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, obj.Object))
	if err := l.DoString(script); err != nil {
		return Health{}, err
	}
	result := l.Get(-1)
	if result.Type() != lua.LTTable {
		return Health{}, fmt.Errorf("expect table output from Lua script, not %s", result.Type())
	}
	encoded, err := luajson.Encode(result)
	if err != nil {
		return Health{}, err
	}
	var health Health
	if err := json.Unmarshal(encoded, &health); err != nil {
		return Health{}, err
	}
	if !validStatuses[health.Status] {
		return Health{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	}
	return health, nil
}

// safeOsFunctions are gopher-lua's own os.time and os.date, the two functions of Argo CD's safe os.
func safeOsFunctions() map[string]lua.LGFunction {
	scratch := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer scratch.Close()
	lua.OpenOs(scratch)
	os := scratch.GetGlobal(lua.OsLibName).(*lua.LTable)
	return map[string]lua.LGFunction{
		"time": os.RawGetString("time").(*lua.LFunction).GFunction,
		"date": os.RawGetString("date").(*lua.LFunction).GFunction,
	}
}

// toLua turns an unstructured object into Lua values as Argo CD does: numbers become Lua numbers,
// maps and lists tables, null nil.
func toLua(l *lua.LState, value interface{}) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case json.Number:
		return lua.LString(v)
	case []interface{}:
		table := l.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(l, item))
		}
		return table
	case map[string]interface{}:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	}
	return lua.LNil
}
