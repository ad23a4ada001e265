{{/*
The chart is checked without helm (tests/deploy/check_helm_chart.py renders
it with a small renderer of its own): keep to .Values/.Release/.Chart/.Files,
include, if/else, toYaml, nindent, indent, quote, printf, default, eq, ne,
not, and, or, trunc, trimSuffix, contains, sha256sum, fail and required.
*/}}

{{- define "signet.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* The release name, or <release>-signet when it does not say signet. */}}
{{- define "signet.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{- define "signet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "signet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "signet.labels" -}}
{{ include "signet.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "signet.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "signet.mode" -}}
{{- if not (or (eq .Values.mode "sqlite") (eq .Values.mode "postgresql")) -}}
{{- fail (printf "mode must be sqlite or postgresql, not %s" .Values.mode) -}}
{{- end -}}
{{- .Values.mode -}}
{{- end }}

{{/* signet.yaml: the value `config`, or files/<mode>.yaml. */}}
{{- define "signet.config" -}}
{{- if .Values.config -}}
{{- .Values.config -}}
{{- else -}}
{{- .Files.Get (printf "files/%s.yaml" (include "signet.mode" .)) -}}
{{- end -}}
{{- end }}

{{/* The environment both the host and `signet ca init` get. */}}
{{- define "signet.env" -}}
- name: SIGNET_KEYS_PASSPHRASE
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.name }}
      key: keys-passphrase
- name: SIGNET_STORE_MASTER_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.name }}
      key: store-master-key
{{- if eq (include "signet.mode" .) "postgresql" }}
- name: SIGNET_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.name }}
      key: database-url
{{- end }}
{{- end }}

{{/* The pod template of the StatefulSet (sqlite) and the Deployment (postgresql). */}}
{{- define "signet.podTemplate" -}}
metadata:
  labels:
    {{- include "signet.selectorLabels" . | nindent 4 }}
  annotations:
    checksum/config: {{ include "signet.config" . | sha256sum }}
    checksum/settings: {{ toYaml .Values.settings | sha256sum }}
spec:
  serviceAccountName: {{ include "signet.fullname" . }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- if .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml .Values.imagePullSecrets | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- if eq (include "signet.mode" .) "postgresql" }}
  topologySpreadConstraints:
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "signet.selectorLabels" . | nindent 10 }}
  {{- end }}
  initContainers:
    # Signet refuses a TLS key that group or others may read; a Secret
    # volume's files are 0440 at best: copy the pair with mode 0600.
    - name: tls-key
      image: {{ include "signet.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - sh
        - -c
        - install -m 0644 /etc/signet/tls-secret/tls.crt /run/signet/tls/tls.crt && install -m 0600 /etc/signet/tls-secret/tls.key /run/signet/tls/tls.key
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml .Values.tlsInitResources | nindent 8 }}
      volumeMounts:
        - name: tls-secret
          mountPath: /etc/signet/tls-secret
          readOnly: true
        - name: tls
          mountPath: /run/signet/tls
    {{- if eq (include "signet.mode" .) "postgresql" }}
    # The CA, made once for all replicas under a lock on the shared volume.
    - name: ca-init
      image: {{ include "signet.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      command:
        - flock
        - --timeout
        - "300"
        - /var/lib/signet/.ca-init.lock
        - signet
        - ca
        - init
        - --config
        - /etc/signet/signet.yaml
      envFrom:
        - configMapRef:
            name: {{ include "signet.fullname" . }}-settings
      env:
        {{- include "signet.env" . | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      resources:
        {{- toYaml .Values.caInitResources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/signet/signet.yaml
          subPath: signet.yaml
          readOnly: true
        - name: data
          mountPath: /var/lib/signet
        - name: tmp
          mountPath: /tmp
    {{- end }}
  containers:
    - name: signet
      image: {{ include "signet.image" . }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args: [serve, --config, /etc/signet/signet.yaml]
      ports:
        - name: https
          containerPort: {{ .Values.ports.https }}
          protocol: TCP
        - name: pki
          containerPort: {{ .Values.ports.pki }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "signet.fullname" . }}-settings
      env:
        {{- include "signet.env" . | nindent 8 }}
      startupProbe:
        {{- toYaml .Values.probes.startup | nindent 8 }}
      livenessProbe:
        {{- toYaml .Values.probes.liveness | nindent 8 }}
      readinessProbe:
        {{- toYaml .Values.probes.readiness | nindent 8 }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/signet/signet.yaml
          subPath: signet.yaml
          readOnly: true
        - name: tls
          mountPath: /run/signet/tls
          readOnly: true
        - name: data
          mountPath: /var/lib/signet
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: config
      configMap:
        name: {{ include "signet.fullname" . }}-config
    - name: tls-secret
      secret:
        secretName: {{ .Values.tls.secretName }}
        defaultMode: 0440
    - name: tls
      emptyDir:
        medium: Memory
        sizeLimit: 1Mi
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if eq (include "signet.mode" .) "postgresql" }}
    - name: data
      persistentVolumeClaim:
        claimName: {{ include "signet.fullname" . }}-shared
    {{- end }}
{{- end }}
