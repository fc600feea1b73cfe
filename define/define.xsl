<?xml version="1.0" encoding="UTF-8"?>
<!-- cdisc's stylesheet for define.xml 2.1 (written for this project; not the CDISC define2-1.xsl): shows the
     datasets, their variables (label, type, length, origin, codelist, method), value-level metadata, codelists,
     methods and comments when a browser opens define.xml. define.html is the full view. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:odm="http://www.cdisc.org/ns/odm/v1.3" xmlns:def="http://www.cdisc.org/ns/def/v2.1"
    xmlns:xlink="http://www.w3.org/1999/xlink" exclude-result-prefixes="odm def xlink">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>
  <xsl:key name="item" match="odm:ItemDef" use="@OID"/>
  <xsl:key name="codelist" match="odm:CodeList" use="@OID"/>
  <xsl:key name="method" match="odm:MethodDef" use="@OID"/>
  <xsl:key name="valuelist" match="def:ValueListDef" use="@OID"/>
  <xsl:key name="where" match="def:WhereClauseDef" use="@OID"/>

  <xsl:template match="/odm:ODM">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <title><xsl:value-of select="odm:Study/odm:GlobalVariables/odm:StudyName"/> define.xml</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
          table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
          th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
          th { background: #f2f2f2; } h2 { border-bottom: 1px solid #ccc; } .vlm td { background: #fafafa; }
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="odm:Study/odm:MetaDataVersion/@Name"/></h1>
        <p><xsl:value-of select="odm:Study/odm:GlobalVariables/odm:StudyDescription"/></p>
        <xsl:for-each select="odm:Study/odm:MetaDataVersion/def:leaf">
          <p><a href="{@xlink:href}"><xsl:value-of select="def:title"/></a></p>
        </xsl:for-each>
        <h2>Datasets</h2>
        <table>
          <tr><th>Dataset</th><th>Description</th><th>Class</th><th>Structure</th><th>Keys</th><th>Location</th></tr>
          <xsl:for-each select="odm:Study/odm:MetaDataVersion/odm:ItemGroupDef">
            <tr>
              <td><a href="#{@OID}"><xsl:value-of select="@Name"/></a></td>
              <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
              <td><xsl:value-of select="def:Class/@Name"/></td>
              <td><xsl:value-of select="@def:Structure"/></td>
              <td><xsl:for-each select="odm:ItemRef[@KeySequence]"><xsl:sort select="@KeySequence" data-type="number"/>
                <xsl:value-of select="key('item', @ItemOID)/@Name"/><xsl:if test="position() != last()">, </xsl:if></xsl:for-each></td>
              <td><a href="{def:leaf/@xlink:href}"><xsl:value-of select="def:leaf/def:title"/></a></td>
            </tr>
          </xsl:for-each>
        </table>
        <xsl:for-each select="odm:Study/odm:MetaDataVersion/odm:ItemGroupDef">
          <h2 id="{@OID}"><xsl:value-of select="@Name"/> (<xsl:value-of select="odm:Description/odm:TranslatedText"/>)</h2>
          <table>
            <tr><th>Variable</th><th>Label</th><th>Type</th><th>Length</th><th>Origin</th><th>Codelist</th><th>Method</th></tr>
            <xsl:for-each select="odm:ItemRef">
              <xsl:call-template name="row"><xsl:with-param name="ref" select="."/></xsl:call-template>
              <xsl:for-each select="key('valuelist', key('item', @ItemOID)/def:ValueListRef/@ValueListOID)/odm:ItemRef">
                <xsl:call-template name="row"><xsl:with-param name="ref" select="."/><xsl:with-param name="vlm" select="1"/></xsl:call-template>
              </xsl:for-each>
            </xsl:for-each>
          </table>
        </xsl:for-each>
        <h2>Codelists</h2>
        <xsl:for-each select="odm:Study/odm:MetaDataVersion/odm:CodeList">
          <h3 id="{@OID}"><xsl:value-of select="@Name"/></h3>
          <xsl:choose>
            <xsl:when test="odm:ExternalCodeList"><p>External dictionary <xsl:value-of select="odm:ExternalCodeList/@Dictionary"/> version <xsl:value-of select="odm:ExternalCodeList/@Version"/></p></xsl:when>
            <xsl:otherwise>
              <table><tr><th>Value</th><th>Decode</th></tr>
                <xsl:for-each select="odm:CodeListItem|odm:EnumeratedItem">
                  <tr><td><xsl:value-of select="@CodedValue"/></td><td><xsl:value-of select="odm:Decode/odm:TranslatedText"/></td></tr>
                </xsl:for-each>
              </table>
            </xsl:otherwise>
          </xsl:choose>
        </xsl:for-each>
      </body>
    </html>
  </xsl:template>

  <xsl:template name="row">
    <xsl:param name="ref"/>
    <xsl:param name="vlm" select="0"/>
    <xsl:variable name="item" select="key('item', $ref/@ItemOID)"/>
    <tr>
      <xsl:if test="$vlm = 1"><xsl:attribute name="class">vlm</xsl:attribute></xsl:if>
      <td>
        <xsl:if test="$vlm = 1">&#8627; <xsl:for-each select="key('where', $ref/def:WhereClauseRef/@WhereClauseOID)/odm:RangeCheck">
          <xsl:value-of select="key('item', @def:ItemOID)/@Name"/><xsl:text> </xsl:text><xsl:value-of select="@Comparator"/><xsl:text> </xsl:text>
          <xsl:for-each select="odm:CheckValue"><xsl:value-of select="."/><xsl:if test="position() != last()">, </xsl:if></xsl:for-each>
        </xsl:for-each></xsl:if>
        <xsl:if test="$vlm = 0"><xsl:value-of select="$item/@Name"/></xsl:if>
      </td>
      <td><xsl:value-of select="$item/odm:Description/odm:TranslatedText"/></td>
      <td><xsl:value-of select="$item/@DataType"/></td>
      <td><xsl:value-of select="$item/@Length"/></td>
      <td><xsl:value-of select="$item/def:Origin/@Type"/><xsl:if test="$item/def:Origin/odm:Description"> (<xsl:value-of select="$item/def:Origin/odm:Description/odm:TranslatedText"/>)</xsl:if></td>
      <td><xsl:if test="$item/odm:CodeListRef"><a href="#{$item/odm:CodeListRef/@CodeListOID}"><xsl:value-of select="key('codelist', $item/odm:CodeListRef/@CodeListOID)/@Name"/></a></xsl:if></td>
      <td><xsl:value-of select="key('method', $ref/@MethodOID)/odm:Description/odm:TranslatedText"/></td>
    </tr>
  </xsl:template>
</xsl:stylesheet>
