// Package webhooks holds the operator's admission webhooks: the Pod defaulter
// that injects a LightningApp's env into every Flow and Work pod.
//
// pod_webhook.go is the thin wiring (cache lookup, denials, metrics);
// pod_mutation.go is the pure, table-tested mutation.
package webhooks

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	lightningv1alpha1 "github.com/lightning-operator/lightning-operator/api/v1alpha1"
)

// annotationSeparator joins the names in AnnotationInjectedEnv.
const annotationSeparator = ","

// mutatePod returns the pod with the app's env added to every container and
// init container:
//
//   - a plain entry {name, value} for each spec.env item;
//   - an entry {name, valueFrom.secretKeyRef{name: status.secretName, key: name}}
//     for each spec.secrets item. The materialized Secret's keys are the env
//     names. When status.secretName is empty no secret entry is added (the
//     handler refuses such pods before calling mutatePod).
//
// An env name a container already sets is left alone: the container's own
// entry wins. The one exception is a secretKeyRef this webhook wrote earlier,
// recognised by pointing at the Secret recorded in AnnotationInjectedSecret
// with key == name; it is moved to the app's current Secret.
//
// AnnotationInjectedEnv records, sorted, every name the webhook added to the
// pod (the union with what an earlier invocation recorded), and
// AnnotationInjectedSecret the Secret the secretKeyRefs point at.
//
// mutatePod is pure: it never modifies pod or app. The result shares every
// part it does not change with pod (a pod that needs no change is returned
// as is), and its containers share the injected valueFrom structs, so
// callers must treat the result as read-only (or DeepCopy it). It is idempotent:
// mutatePod(mutatePod(p, a), a) equals mutatePod(p, a), which is what
// reinvocationPolicy IfNeeded needs. No secret value ever passes through it:
// the app holds only names.
func mutatePod(pod *corev1.Pod, app *lightningv1alpha1.LightningApp) *corev1.Pod {
	want := desiredEnv(app)
	prevSecret := pod.Annotations[lightningv1alpha1.AnnotationInjectedSecret]
	prevNames := pod.Annotations[lightningv1alpha1.AnnotationInjectedEnv]

	// One pass to size everything: which desired entries each container
	// lacks or holds stale. marks is reused per container; added is per pod.
	m := mutation{want: want, prevSecret: prevSecret}
	m.marks = make([]mark, len(want.names))
	m.added = make([]bool, len(want.names))
	initPlans := m.plan(pod.Spec.InitContainers)
	ctrPlans := m.plan(pod.Spec.Containers)

	names := injectedNames(prevNames, want, m.added)
	secretName := prevSecret
	if m.addedSecret {
		secretName = want.secretName
	}
	annotationsSame := names == prevNames && secretName == prevSecret
	if initPlans == nil && ctrPlans == nil && annotationsSame {
		return pod
	}

	out := *pod // shallow copy; every changed part below is freshly allocated
	out.ObjectMeta.Annotations = make(map[string]string, len(pod.Annotations)+2)
	for k, v := range pod.Annotations {
		out.ObjectMeta.Annotations[k] = v
	}
	if names != "" {
		out.ObjectMeta.Annotations[lightningv1alpha1.AnnotationInjectedEnv] = names
	}
	if secretName != "" {
		out.ObjectMeta.Annotations[lightningv1alpha1.AnnotationInjectedSecret] = secretName
	}
	m.alloc()
	if initPlans != nil {
		out.Spec.InitContainers = m.apply(pod.Spec.InitContainers, initPlans)
	}
	if ctrPlans != nil {
		out.Spec.Containers = m.apply(pod.Spec.Containers, ctrPlans)
	}
	return &out
}

// wantedEnv is the app's env in a compact form, built once per call.
type wantedEnv struct {
	names []string
	// values[i] is the plain value of names[i]; unused for secrets.
	values []string
	// nPlain entries come first, then the secrets.
	nPlain     int
	secretName string
	// lengths has bit l set when some name has length l: a cheap filter
	// that keeps most of a container's own names away from index.
	lengths [5]uint64
	// index finds a name's position; built on the first name that passes
	// the length filter.
	index map[string]int
}

func desiredEnv(app *lightningv1alpha1.LightningApp) *wantedEnv {
	w := &wantedEnv{nPlain: len(app.Spec.Env), secretName: app.Status.SecretName}
	n := len(app.Spec.Env)
	if w.secretName != "" {
		n += len(app.Spec.Secrets)
	}
	w.names = make([]string, 0, n)
	w.values = make([]string, 0, len(app.Spec.Env))
	for _, e := range app.Spec.Env {
		w.names = append(w.names, e.Name)
		w.values = append(w.values, e.Value)
	}
	if w.secretName != "" {
		for _, s := range app.Spec.Secrets {
			w.names = append(w.names, s.Name)
		}
	}
	for _, n := range w.names {
		if l := len(n); l < 64*len(w.lengths) {
			w.lengths[l/64] |= 1 << (l % 64)
		}
	}
	return w
}

func (w *wantedEnv) isSecret(i int) bool { return i >= w.nPlain }

// lookup finds name among the wanted names. hint is where the previous
// match was: a container's injected entries follow the wanted order, so a
// reinvocation matches at hint+1 without hashing.
func (w *wantedEnv) lookup(name string, hint int) (int, bool) {
	if next := hint + 1; next < len(w.names) && w.names[next] == name {
		return next, true
	}
	if l := len(name); l >= 64*len(w.lengths) || w.lengths[l/64]&(1<<(l%64)) == 0 {
		return 0, false
	}
	if w.index == nil {
		w.index = make(map[string]int, len(w.names))
		for i, n := range w.names {
			w.index[n] = i
		}
	}
	i, ok := w.index[name]
	return i, ok
}

// mark is what one container holds of one desired entry.
type mark uint8

const (
	missing mark = iota // the container lacks the name: add it
	present             // the container sets the name: leave it
	stale               // our secretKeyRef to an older Secret: repoint it
)

// containerPlan is the change to one container: how many entries to add and
// which existing ones to repoint.
type containerPlan struct {
	add     int
	restale []int // indexes into the container's env
}

type mutation struct {
	want        *wantedEnv
	prevSecret  string
	marks       []mark
	added       []bool // per desired entry: added or repointed in some container
	addedSecret bool
	// env backs every changed container's env; entries are the app's
	// entries, built once.
	env     []corev1.EnvVar
	entries []corev1.EnvVar
	nEnv    int
}

// plan returns one plan per container, or nil when no container changes.
func (m *mutation) plan(cs []corev1.Container) []containerPlan {
	var plans []containerPlan
	w := m.want
	for ci := range cs {
		c := &cs[ci]
		clear(m.marks)
		var p containerPlan
		hint := -1
		for ei := range c.Env {
			e := &c.Env[ei]
			i, ok := w.lookup(e.Name, hint)
			if !ok {
				continue
			}
			hint = i
			if m.marks[i] != missing {
				continue
			}
			m.marks[i] = present
			if w.isSecret(i) && m.isStaleRef(e) {
				m.marks[i] = stale
				p.restale = append(p.restale, ei)
				m.added[i] = true
				m.addedSecret = true
			}
		}
		for i, mk := range m.marks {
			if mk == missing {
				p.add++
				m.added[i] = true
				if w.isSecret(i) {
					m.addedSecret = true
				}
			}
		}
		if p.add == 0 && len(p.restale) == 0 {
			if plans != nil {
				plans[ci] = p
			}
			continue
		}
		if plans == nil {
			plans = make([]containerPlan, len(cs))
		}
		plans[ci] = p
		m.nEnv += len(c.Env) + p.add
	}
	return plans
}

// isStaleRef reports whether e is a secretKeyRef this webhook wrote for an
// earlier Secret of the app.
func (m *mutation) isStaleRef(e *corev1.EnvVar) bool {
	if m.prevSecret == "" || m.prevSecret == m.want.secretName || e.Value != "" || e.ValueFrom == nil {
		return false
	}
	ref := e.ValueFrom.SecretKeyRef
	return ref != nil && *e.ValueFrom == (corev1.EnvVarSource{SecretKeyRef: ref}) &&
		*ref == (corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: m.prevSecret}, Key: e.Name})
}

// alloc reserves the storage: one slice for every container's env, and the
// app's entries built once; containers share their secretKeyRef structs.
func (m *mutation) alloc() {
	w := m.want
	m.env = make([]corev1.EnvVar, 0, m.nEnv)
	m.entries = make([]corev1.EnvVar, len(w.names))
	var srcs []corev1.EnvVarSource
	var sels []corev1.SecretKeySelector
	if n := len(w.names) - w.nPlain; n > 0 {
		srcs = make([]corev1.EnvVarSource, n)
		sels = make([]corev1.SecretKeySelector, n)
	}
	for i, name := range w.names {
		if !w.isSecret(i) {
			m.entries[i] = corev1.EnvVar{Name: name, Value: w.values[i]}
			continue
		}
		j := i - w.nPlain
		sels[j] = corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: w.secretName}, Key: name}
		srcs[j].SecretKeyRef = &sels[j]
		m.entries[i] = corev1.EnvVar{Name: name, ValueFrom: &srcs[j]}
	}
}

// apply returns a copy of cs with the planned entries added.
func (m *mutation) apply(cs []corev1.Container, plans []containerPlan) []corev1.Container {
	w := m.want
	out := slices.Clone(cs)
	for ci := range out {
		p := plans[ci]
		if p.add == 0 && len(p.restale) == 0 {
			continue
		}
		c := &out[ci]
		start := len(m.env)
		m.env = append(m.env, c.Env...)
		for _, ei := range p.restale {
			i, _ := w.lookup(c.Env[ei].Name, -1)
			m.env[start+ei] = m.entries[i]
		}
		switch {
		case p.add == len(w.names):
			// The common case: the container has none of the names.
			m.env = append(m.env, m.entries...)
		case p.add > 0:
			// Recompute which names the container lacks; marks was reused.
			clear(m.marks)
			hint := -1
			for ei := range c.Env {
				if i, ok := w.lookup(c.Env[ei].Name, hint); ok {
					m.marks[i] = present
					hint = i
				}
			}
			for i, mk := range m.marks {
				if mk == missing {
					m.env = append(m.env, m.entries[i])
				}
			}
		}
		c.Env = m.env[start:len(m.env):len(m.env)]
	}
	return out
}

// injectedNames is the sorted union of the previously recorded names and
// the names added now, joined for AnnotationInjectedEnv.
func injectedNames(prev string, w *wantedEnv, added []bool) string {
	names := make([]string, 0, len(w.names)+strings.Count(prev, annotationSeparator)+1)
	for i, a := range added {
		if a {
			names = append(names, w.names[i])
		}
	}
	if len(names) == 0 {
		return prev
	}
	if prev != "" {
		names = append(names, strings.Split(prev, annotationSeparator)...)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) > 0 && names[0] == "" {
		names = names[1:]
	}
	return strings.Join(names, annotationSeparator)
}
